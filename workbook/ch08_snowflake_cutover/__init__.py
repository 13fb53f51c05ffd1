"""Chapter 08, Snowflake cutover: the upgrade triggers fed with measured values (``when``), a
cutover's result as labelled tables (``views``), the first month's cost from the measured runs
(``cost``), and the exercise checks (``exercise_checks``)."""
