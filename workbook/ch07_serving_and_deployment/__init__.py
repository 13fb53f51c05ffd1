"""Chapter 07, serving and deployment: write-audit-publish by hand (``publish``), the deployment
baseline read from the project's files (``deploy``), the read API's answers and latency
(``views``), and the exercise checks (``exercise_checks``)."""
