{#-
    The simulated "now" as a SQL timestamp (naive, UTC). Nothing in the project reads the wall clock.

    1. The var `sproutly_now` (`--vars '{"sproutly_now": "YYYY-MM-DD HH:MM:SS"}'`) wins: unit tests
       pin it, and sproutly.dbt passes it when $SPROUTLY_NOW pins "now" (drills, tests) and on
       engines that cannot read the clock file (Snowflake).
    2. Otherwise, on DuckDB, the simulated clock itself: dbt reads `<SPROUTLY_DATA_DIR>/clock.json`
       when it compiles the node and writes the instant into the SQL as a literal. A plain `dbt build`
       from a shell sees the same "now" as the pipeline, a new simulated day changes no var (dbt's
       partial parsing survives it), and a view keeps no path to the file (a warehouse copied to
       another data folder, as checkpoints and sandboxes do, still works).
    3. Elsewhere, or with no clock file yet, the warehouse's current time in UTC.
-#}
{% macro sproutly_now() -%}
    {%- set now = var('sproutly_now', none) -%}
    {%- if now -%}
        cast('{{ now }}' as timestamp)
    {%- else -%}
        {{ return(adapter.dispatch('simulated_clock', 'sproutly')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__simulated_clock() -%}
    {{ return(adapter.dispatch('current_timestamp_utc', 'sproutly')()) }}
{%- endmacro %}

{#- The clock file the simulator writes every simulated day (sproutly/clock.py), read at compile time. -#}
{% macro duckdb__simulated_clock() -%}
    {%- if execute -%}
        {%- set path = env_var('SPROUTLY_DATA_DIR', '') ~ '/clock.json' -%}
        {%- set found = run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] -%}
        {%- if found -%}
            {%- set now = run_query(
                "select cast(cast(now as timestamp) as varchar) from read_json('" ~ path ~ "')"
            ).columns[0].values()[0] -%}
            {{- return("cast('" ~ now ~ "' as timestamp)") -}}
        {%- endif -%}
    {%- endif -%}
    {{- return(adapter.dispatch('current_timestamp_utc', 'sproutly')()) -}}
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
