"""The Snowflake cutover: the same dbt project on Snowflake (emulated or real), proven by parity."""
