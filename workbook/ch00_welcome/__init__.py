"""Chapter 00, welcome: the answer key behind its exercises (``exercises``)."""
