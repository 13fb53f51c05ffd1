{#-
    The name the warehouse's information_schema reports for a declared column type.

    Sources declare their columns with the DuckDB names ingestion uses (`varchar`, `bigint`,
    `timestamp`, `json`); the `matches_declared_schema` test compares them with
    information_schema.columns.data_type. DuckDB reports the same names. Snowflake reports its own:
    VARCHAR is TEXT, every integer is NUMBER, a naive TIMESTAMP is TIMESTAMP_NTZ and JSON lives in a
    VARIANT. Returns a lower-case string for Jinja (not SQL).
-#}
{% macro warehouse_type(declared_type) -%}
    {{ return(adapter.dispatch('warehouse_type', 'sproutly')(declared_type | trim | lower)) }}
{%- endmacro %}

{% macro default__warehouse_type(declared_type) -%}
    {{ return(declared_type) }}
{%- endmacro %}

{% macro snowflake__warehouse_type(declared_type) -%}
    {%- set names = {
        'varchar': 'text',
        'text': 'text',
        'bigint': 'number',
        'integer': 'number',
        'int': 'number',
        'timestamp': 'timestamp_ntz',
        'json': 'variant',
        'double': 'float',
        'boolean': 'boolean',
        'date': 'date',
    } -%}
    {{ return(names.get(declared_type, declared_type)) }}
{%- endmacro %}
