"""Chapter 05, orchestration: the Dagster definitions as tables and a lineage plot (``views``),
the exercise checks (``exercise_checks``) and their answer key (``answers``)."""
