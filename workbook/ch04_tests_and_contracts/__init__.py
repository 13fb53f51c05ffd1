"""Chapter 04, tests and contracts: what the project tests and bad data to inject (``faults``),
and the exercise checks (``exercise_checks``)."""
