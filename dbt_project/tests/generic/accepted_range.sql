{#-
    Fails for rows outside [min_value, max_value] (either bound optional; `inclusive` applies to both).
    Nulls pass: pair it with not_null where a value is required. A bound is SQL, so it may be
    another column of the same row: `{min_value: 0, max_value: amount_paid_cents}`.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

select {{ column_name }}
from {{ model }}
where
    {%- if min_value is not none %}
        {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
    {%- else %} false {%- endif %}
    {%- if max_value is not none %}
        or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
    {%- endif %}

{% endtest %}
