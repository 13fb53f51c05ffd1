"""Chapter 06, observability: run history, alerts and SLOs as tables and plots (``views``),
incident drills (``drills``), the week of history the chapter observes (``history``), and the
exercise checks (``exercise_checks``)."""
