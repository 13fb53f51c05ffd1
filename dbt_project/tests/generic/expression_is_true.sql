{#-
    Fails for every row where `expression` is not true (null counts as not true), e.g.
    `amount_paid_cents <= amount_due_cents`. On a column, the expression is still written in full.
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
