-- Sproutly on Snowflake: what keeps the bill bounded. Run once after rbac.sql, as ACCOUNTADMIN
-- (only ACCOUNTADMIN creates resource monitors). Not applied by any script: read it, change the
-- quota to your estimate (chapter 08's first-month table), then run it in a worksheet.

-- 1. Auto-suspend and auto-resume. A warehouse bills per second while it is running (resumed),
-- with a 60-second minimum each time it resumes, until it suspends. AUTO_SUSPEND = 60 suspends it
-- after 60 idle seconds; AUTO_RESUME lets the next query (a dbt run, a freshness check) wake it.
USE ROLE SYSADMIN;
ALTER WAREHOUSE SPROUTLY_WH SET AUTO_SUSPEND = 60 AUTO_RESUME = TRUE;

-- 2. A resource monitor: a monthly credit quota for the warehouse. At 75% it notifies the
-- account administrators (with notifications enabled), at 100% it suspends the warehouse after the
-- running queries finish, at 110% it suspends it at once and cancels them. Set the quota to about
-- twice the estimate: a backfill or a full refresh is a normal month's event, not an incident.
USE ROLE ACCOUNTADMIN;
CREATE RESOURCE MONITOR IF NOT EXISTS SPROUTLY_MONTHLY WITH
    CREDIT_QUOTA = 50
    FREQUENCY = MONTHLY
    START_TIMESTAMP = IMMEDIATELY
    TRIGGERS
        ON 75 PERCENT DO NOTIFY
        ON 100 PERCENT DO SUSPEND
        ON 110 PERCENT DO SUSPEND_IMMEDIATE;
ALTER WAREHOUSE SPROUTLY_WH SET RESOURCE_MONITOR = SPROUTLY_MONTHLY;

-- 3. The estimate against the bill: credits per day the warehouse really used (ACCOUNT_USAGE
-- views lag by up to a few hours).
SELECT
    TO_DATE(START_TIME) AS USAGE_DATE,
    SUM(CREDITS_USED_COMPUTE) AS COMPUTE_CREDITS,
    SUM(CREDITS_USED_CLOUD_SERVICES) AS CLOUD_SERVICES_CREDITS
FROM SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY
WHERE WAREHOUSE_NAME = 'SPROUTLY_WH' AND START_TIME >= DATEADD('day', -30, CURRENT_TIMESTAMP())
GROUP BY USAGE_DATE
ORDER BY USAGE_DATE;
