"""What jemput says about itself while it runs, beside its logs: traces across processes
(`tracing.py`, OpenTelemetry), the pipeline metrics alerts watch (`pipeline_metrics.py`)
and the store's commands as metrics (`store_metrics.py`). Labels and spans carry names,
ids and codes, never personal data. The HTTP side of it (requests counted by route and
traced) is `shared/web/telemetry.py`.

Importing the package imports nothing: take the module you need."""
