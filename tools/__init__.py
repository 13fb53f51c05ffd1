"""Repository tooling (notebook execution, exercise generation, chapter times): never imported
by chapters."""
