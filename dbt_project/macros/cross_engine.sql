{#-
    Engine differences live here, dispatched per adapter (`duckdb__x`, `snowflake__x`), so models
    read the same on DuckDB and Snowflake. Contracted models cast explicitly: DuckDB's datediff
    returns BIGINT, which would fail an `integer` contract.
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

{#- One row per day, column `date_day`, from `start_date` up to and including `end_date`. -#}
{% macro day_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_series', 'sproutly')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__day_series(start_date, end_date) -%}
    select cast(generated.generate_series as date) as date_day
    from generate_series(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
    ) as generated
{%- endmacro %}

{#-
    Snowflake has no generate_series: number the rows of a generator instead. row_number(), not
    seq4() alone, because Snowflake documents that seq4() may leave gaps; and a WHERE around a
    subquery, not QUALIFY, because QUALIFY requires a window function in the query.
-#}
{% macro snowflake__day_series(start_date, end_date) -%}
    select numbered.date_day
    from (
        select
            cast(
                dateadd('day', row_number() over (order by seq4()) - 1, cast({{ start_date }} as date))
                as date
            ) as date_day
        from table(generator(rowcount => 20000))
    ) as numbered
    where numbered.date_day <= cast({{ end_date }} as date)
{%- endmacro %}
