{#-
    The simulated "now" as a SQL timestamp (naive, UTC).

    sproutly.dbt passes `--vars '{"sproutly_now": "YYYY-MM-DD HH:MM:SS"}'` from the injected clock, so
    every model, test and freshness check sees the same, reproducible instant. Without the var (a bare
    `dbt build` from the shell) it falls back to the warehouse's current time in UTC.
-#}
{% macro sproutly_now() -%}
    {%- set now = var('sproutly_now', none) -%}
    {%- if now -%}
        cast('{{ now }}' as timestamp)
    {%- else -%}
        {{ return(adapter.dispatch('current_timestamp_utc', 'sproutly')()) }}
    {%- endif -%}
{%- endmacro %}

{#- The first day not yet simulated: models cover days strictly before it. -#}
{% macro sproutly_today() -%}
    cast({{ sproutly_now() }} as date)
{%- endmacro %}

{#-
    The last complete day: the day before `sproutly_today()`. Daily models end on it, and "current"
    columns (a user's MRR now) read it. A date on every engine (`dbt.dateadd` is cross-database).
-#}
{% macro last_complete_day() -%}
    cast({{ dbt.dateadd('day', -1, sproutly_today()) }} as date)
{%- endmacro %}

{% macro default__current_timestamp_utc() -%}
    cast({{ dbt.current_timestamp() }} as timestamp)
{%- endmacro %}

{#- DuckDB: the profile pins the session TimeZone to UTC, so the cast yields UTC wall time. -#}
{% macro duckdb__current_timestamp_utc() -%}
    cast(current_timestamp as timestamp)
{%- endmacro %}

{% macro snowflake__current_timestamp_utc() -%}
    convert_timezone('UTC', current_timestamp())::timestamp_ntz
{%- endmacro %}
