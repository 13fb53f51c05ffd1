"""Chapter 02, staging: source freshness as tables and what-if clocks (``freshness``), and the
answer key behind its exercises (``answers``)."""
