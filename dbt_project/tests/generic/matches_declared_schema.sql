{#-
    Fails for every column declared with a `data_type` in the YAML whose actual type in the
    warehouse differs, or which is missing. One failing row per column: column_name,
    declared_type, actual_type (null = missing). New, undeclared columns pass (they are logged by
    ingestion and never selected by staging).

    Why: staging casts every column explicitly, so a source column that turns from TIMESTAMP into
    VARCHAR (or TIMESTAMPTZ) would still "work" and silently change meaning. dbt model contracts
    only check a model's *output*, never its inputs.
-#}
{% test matches_declared_schema(model) %}

{%- set declared = [] -%}
{%- if execute -%}
    {%- set nodes = graph.sources.values() | list + graph.nodes.values() | list -%}
    {%- for node in nodes
        if node.resource_type in ('source', 'model', 'snapshot', 'seed')
        and (node.schema | lower) == (model.schema | lower)
        and ((node.identifier or node.alias or node.name) | lower) == (model.identifier | lower) -%}
        {%- for column in node.columns.values() if column.data_type -%}
            {%- do declared.append((column.name | lower, sproutly.warehouse_type(column.data_type))) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}

with

declared as (

    {%- for name, data_type in declared %}
    select '{{ name }}' as column_name, '{{ data_type }}' as declared_type
    {%- if not loop.last %} union all {%- endif %}
    {%- else %}
    select cast(null as varchar) as column_name, cast(null as varchar) as declared_type
    where false
    {%- endfor %}

),

actual as (

    select
        lower(column_name) as column_name,
        lower(data_type) as actual_type
    from information_schema.columns
    where
        lower(table_schema) = lower('{{ model.schema }}')
        and lower(table_name) = lower('{{ model.identifier }}')

),

mismatched as (

    select
        declared.column_name,
        declared.declared_type,
        actual.actual_type
    from declared
    left join actual on declared.column_name = actual.column_name
    where actual.actual_type is distinct from declared.declared_type

)

select * from mismatched

{% endtest %}
