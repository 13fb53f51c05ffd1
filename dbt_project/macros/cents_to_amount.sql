{#-
    An integer number of cents as an amount in currency units, e.g. 1999 -> 19.99. The cast comes
    last, so the type is decimal(18, 2) on every engine (the marts' contracts declare it): on DuckDB
    the division alone would give a double.

        {{ cents_to_amount('price_cents') }} as price_amount
-#}
{% macro cents_to_amount(column_name) -%}
    cast({{ column_name }} / 100.0 as decimal(18, 2))
{%- endmacro %}
