{#-
    Custom schemas are used as-is: `staging`, `intermediate`, `marts`, `snapshots`.
    dbt's default would prefix the target schema (`main_staging`); dev and prod are already separate
    DuckDB files, so the prefix only adds noise for readers of the warehouse.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
