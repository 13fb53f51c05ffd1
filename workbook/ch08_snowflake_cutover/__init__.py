"""Chapter 08, Snowflake cutover: the upgrade triggers fed with measured values (``when``), a
cutover's result as labelled tables (``views``), and the exercise checks (``exercise_checks``)."""
