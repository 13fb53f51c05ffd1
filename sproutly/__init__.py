"""Cross-cutting configuration of the workbook: where things live and what time it is.

Every package (microproduct, ingestion, orchestration, serving, workbook) takes its paths and its
"now" from here, so one environment variable moves a whole run to another folder and no code
reads the wall clock.
"""
