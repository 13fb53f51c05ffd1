{#-
    Source freshness against the *simulated* clock.

    dbt computes a source's age as `snapshotted_at - max(loaded_at_field)`, and its built-in
    `default__collect_freshness` (dbt-core 1.11, global_project/macros/adapters/freshness.sql) takes
    `snapshotted_at` from the warehouse's current_timestamp. Our pipeline lives in simulated time, so
    we override both variants in the root project (dbt's dispatch searches the root project before
    its own macros for the `dbt` namespace) and use `sproutly_now()` instead: the var `sproutly_now`
    when given, the real current time (UTC) otherwise. Same signatures as dbt's.
-#}
{% macro default__collect_freshness(source, loaded_at_field, filter) %}
    {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
        select
            max({{ loaded_at_field }}) as max_loaded_at,
            {{ sproutly_now() }} as snapshotted_at
        from {{ source }}
        {% if filter %}
            where {{ filter }}
        {% endif %}
    {% endcall %}
    {{ return(load_result('collect_freshness')) }}
{% endmacro %}

{% macro default__collect_freshness_custom_sql(source, loaded_at_query) %}
    {% call statement('collect_freshness_custom_sql', fetch_result=True, auto_begin=False) -%}
        with source_query as (
            {{ loaded_at_query }}
        )

        select
            (select * from source_query) as max_loaded_at,
            {{ sproutly_now() }} as snapshotted_at
    {% endcall %}
    {{ return(load_result('collect_freshness_custom_sql')) }}
{% endmacro %}
