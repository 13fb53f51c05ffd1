{#-
    The latest version of every `key` in a raw log: raw tables append a new row for each change
    (and a reload appends the same row again), staging keeps one row per key. The latest
    `updated_at` wins; on a tie the latest `_loaded_at`; on a tie again the greatest `_source`, so
    the result never depends on the order rows were read. `relation` is a CTE or relation with
    those three columns (a staging model's `renamed` CTE).

    `nulls last` is explicit: DuckDB sorts NULLs last under `desc`, Snowflake first, so without it
    a NULL `updated_at` would win on one engine only. Staging also tests `updated_at` not_null.

        deduplicated as (

            {{ latest_version_of('renamed', key='plan_id') }}

        )
-#}
{% macro latest_version_of(relation, key) -%}
    select * from {{ relation }}
    qualify row_number() over (
        partition by {{ key }}
        order by
            updated_at desc nulls last,
            _loaded_at desc nulls last,
            _source desc nulls last
    ) = 1
{%- endmacro %}
