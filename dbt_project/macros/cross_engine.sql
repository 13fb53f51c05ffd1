{#-
    Engine differences live here, dispatched per adapter: `duckdb__x` where DuckDB differs,
    `default__x` (dbt's cross-database macros) for Snowflake and the rest, `snowflake__x` only where
    Snowflake needs its own. Models read the same on DuckDB and Snowflake. Contracted models cast
    explicitly: DuckDB's datediff returns BIGINT, which would fail an `integer` contract.
-#}

{#- Whole days from `start` to `end` (dates or timestamps), as an integer. -#}
{% macro days_between(start, end) -%}
    {{ return(adapter.dispatch('days_between', 'sproutly')(start, end)) }}
{%- endmacro %}

{% macro default__days_between(start, end) -%}
    cast({{ dbt.datediff(start, end, 'day') }} as integer)
{%- endmacro %}

{% macro duckdb__days_between(start, end) -%}
    cast(date_diff('day', cast({{ start }} as date), cast({{ end }} as date)) as integer)
{%- endmacro %}

{#- Whole calendar months from `start` to `end`. -#}
{% macro months_between(start, end) -%}
    {{ return(adapter.dispatch('months_between', 'sproutly')(start, end)) }}
{%- endmacro %}

{% macro default__months_between(start, end) -%}
    cast({{ dbt.datediff(start, end, 'month') }} as integer)
{%- endmacro %}

{% macro duckdb__months_between(start, end) -%}
    cast(date_diff('month', cast({{ start }} as date), cast({{ end }} as date)) as integer)
{%- endmacro %}

{#-
    A JSON document in the engine's semi-structured type: JSON on DuckDB, VARIANT on Snowflake
    (which has no JSON type; `cast(x as json)` does not parse there). The raw column already holds
    JSON on both (ingestion declares `json`, the Snowflake copy a VARIANT), so this only names it.
-#}
{% macro as_json(expression) -%}
    {{ return(adapter.dispatch('as_json', 'sproutly')(expression)) }}
{%- endmacro %}

{% macro default__as_json(expression) -%}
    cast({{ expression }} as json)
{%- endmacro %}

{% macro snowflake__as_json(expression) -%}
    cast({{ expression }} as variant)
{%- endmacro %}
