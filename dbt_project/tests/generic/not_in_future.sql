{#-
    Fails for rows whose timestamp lies after the simulated now (var `sproutly_now`) plus an
    allowed tolerance, e.g. device clocks running a little fast.
-#}
{% test not_in_future(model, column_name, tolerance_hours=0) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} > {{ dbt.dateadd('hour', tolerance_hours, sproutly_now()) }}

{% endtest %}
