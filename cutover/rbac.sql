-- Sproutly on Snowflake: roles, warehouse, database, schemas, grants and users.
--
-- Three functional roles, each with exactly what its job needs (least privilege):
--   LOADER       ingestion: writes the raw layer (RAW) and its load log (META). Reads nothing else.
--   TRANSFORMER  dbt: reads RAW and META; creates, and so owns, the tables and views in STAGING,
--                INTERMEDIATE, MARTS and SNAPSHOTS. SYSADMIN owns the schemas themselves.
--   REPORTER     the serving API, dashboards, analysts: reads MARTS only -- never raw data.
-- One service user per role, authenticated by key pair (no passwords): the private key stays with
-- the client (SNOWFLAKE_PRIVATE_KEY_PATH), only the public key is registered here.
--
-- Placeholders ${NAME} are filled from environment variables when `python -m cutover check
-- --apply-rbac` applies this file (cutover/rbac.py); keys are never committed. Re-running is safe:
-- every CREATE has IF NOT EXISTS, and ALTER USER re-sets the key (that is also how to rotate it).
--
-- Note: the local emulator (fakesnow) has no RBAC at all -- grants are accepted or ignored there,
-- nothing is enforced. This file is proven by a parse-and-check test and by a real account only.

-- 1. Compute and storage: created by SYSADMIN, which owns infrastructure objects.
USE ROLE SYSADMIN;

-- XSMALL (1 credit per hour). A warehouse bills per second while it is running (resumed), with a
-- 60 s minimum each time it resumes, until it suspends: AUTO_SUSPEND = 60 stops the bill after
-- 60 idle seconds (cost_controls.sql adds a monthly credit quota).
CREATE WAREHOUSE IF NOT EXISTS SPROUTLY_WH
    WITH WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;

CREATE DATABASE IF NOT EXISTS SPROUTLY;
CREATE SCHEMA IF NOT EXISTS SPROUTLY.RAW;
CREATE SCHEMA IF NOT EXISTS SPROUTLY.META;
CREATE SCHEMA IF NOT EXISTS SPROUTLY.STAGING;
CREATE SCHEMA IF NOT EXISTS SPROUTLY.INTERMEDIATE;
CREATE SCHEMA IF NOT EXISTS SPROUTLY.MARTS;
CREATE SCHEMA IF NOT EXISTS SPROUTLY.SNAPSHOTS;

-- 2. Roles: created by SECURITYADMIN, which manages grants.
USE ROLE SECURITYADMIN;

CREATE ROLE IF NOT EXISTS LOADER;
CREATE ROLE IF NOT EXISTS TRANSFORMER;
CREATE ROLE IF NOT EXISTS REPORTER;

-- Roll the functional roles up to SYSADMIN, so administrators can see and manage what they create.
GRANT ROLE LOADER TO ROLE SYSADMIN;
GRANT ROLE TRANSFORMER TO ROLE SYSADMIN;
GRANT ROLE REPORTER TO ROLE SYSADMIN;

-- Everyone needs the warehouse (to run queries) and the database (to see inside it).
GRANT USAGE ON WAREHOUSE SPROUTLY_WH TO ROLE LOADER;
GRANT USAGE ON WAREHOUSE SPROUTLY_WH TO ROLE TRANSFORMER;
GRANT USAGE ON WAREHOUSE SPROUTLY_WH TO ROLE REPORTER;
GRANT USAGE ON DATABASE SPROUTLY TO ROLE LOADER;
GRANT USAGE ON DATABASE SPROUTLY TO ROLE TRANSFORMER;
GRANT USAGE ON DATABASE SPROUTLY TO ROLE REPORTER;

-- 3. LOADER writes RAW and META: it creates the tables (and uses their table stages for
-- PUT/COPY), and replaces their rows on a re-run. ALL = tables that exist now, FUTURE = tables
-- created later (schema drift adds tables and columns).
GRANT USAGE, CREATE TABLE ON SCHEMA SPROUTLY.RAW TO ROLE LOADER;
GRANT USAGE, CREATE TABLE ON SCHEMA SPROUTLY.META TO ROLE LOADER;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA SPROUTLY.RAW TO ROLE LOADER;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON FUTURE TABLES IN SCHEMA SPROUTLY.RAW TO ROLE LOADER;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA SPROUTLY.META TO ROLE LOADER;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON FUTURE TABLES IN SCHEMA SPROUTLY.META TO ROLE LOADER;

-- 4. TRANSFORMER reads what LOADER wrote (source freshness reads META.LOADS) ...
GRANT USAGE ON SCHEMA SPROUTLY.RAW TO ROLE TRANSFORMER;
GRANT USAGE ON SCHEMA SPROUTLY.META TO ROLE TRANSFORMER;
GRANT SELECT ON ALL TABLES IN SCHEMA SPROUTLY.RAW TO ROLE TRANSFORMER;
GRANT SELECT ON FUTURE TABLES IN SCHEMA SPROUTLY.RAW TO ROLE TRANSFORMER;
GRANT SELECT ON ALL TABLES IN SCHEMA SPROUTLY.META TO ROLE TRANSFORMER;
GRANT SELECT ON FUTURE TABLES IN SCHEMA SPROUTLY.META TO ROLE TRANSFORMER;

-- ... and builds everything downstream: dbt creates and replaces tables and views there.
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA SPROUTLY.STAGING TO ROLE TRANSFORMER;
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA SPROUTLY.INTERMEDIATE TO ROLE TRANSFORMER;
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA SPROUTLY.MARTS TO ROLE TRANSFORMER;
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA SPROUTLY.SNAPSHOTS TO ROLE TRANSFORMER;

-- 5. REPORTER reads the marts, and only the marts: tables and views, existing and future (dbt
-- re-creates a mart on every build; a FUTURE grant covers the new object each time).
GRANT USAGE ON SCHEMA SPROUTLY.MARTS TO ROLE REPORTER;
GRANT SELECT ON ALL TABLES IN SCHEMA SPROUTLY.MARTS TO ROLE REPORTER;
GRANT SELECT ON FUTURE TABLES IN SCHEMA SPROUTLY.MARTS TO ROLE REPORTER;
GRANT SELECT ON ALL VIEWS IN SCHEMA SPROUTLY.MARTS TO ROLE REPORTER;
GRANT SELECT ON FUTURE VIEWS IN SCHEMA SPROUTLY.MARTS TO ROLE REPORTER;

-- 6. Service users, key-pair authentication only (TYPE = SERVICE users cannot log in with a
-- password). Generate a key pair per user (openssl genrsa / openssl rsa -pubout) and export the
-- public key (PEM body) in the variable named in the placeholder.
CREATE USER IF NOT EXISTS SPROUTLY_LOADER
    TYPE = SERVICE DEFAULT_ROLE = LOADER DEFAULT_WAREHOUSE = SPROUTLY_WH
    COMMENT = 'ingestion: writes RAW and META';
ALTER USER SPROUTLY_LOADER SET RSA_PUBLIC_KEY = '${SNOWFLAKE_LOADER_RSA_PUBLIC_KEY}';
GRANT ROLE LOADER TO USER SPROUTLY_LOADER;

CREATE USER IF NOT EXISTS SPROUTLY_TRANSFORMER
    TYPE = SERVICE DEFAULT_ROLE = TRANSFORMER DEFAULT_WAREHOUSE = SPROUTLY_WH
    COMMENT = 'dbt: reads RAW, builds STAGING to MARTS';
ALTER USER SPROUTLY_TRANSFORMER SET RSA_PUBLIC_KEY = '${SNOWFLAKE_TRANSFORMER_RSA_PUBLIC_KEY}';
GRANT ROLE TRANSFORMER TO USER SPROUTLY_TRANSFORMER;

CREATE USER IF NOT EXISTS SPROUTLY_REPORTER
    TYPE = SERVICE DEFAULT_ROLE = REPORTER DEFAULT_WAREHOUSE = SPROUTLY_WH
    COMMENT = 'serving and dashboards: reads MARTS';
ALTER USER SPROUTLY_REPORTER SET RSA_PUBLIC_KEY = '${SNOWFLAKE_REPORTER_RSA_PUBLIC_KEY}';
GRANT ROLE REPORTER TO USER SPROUTLY_REPORTER;
