"""Benchmarks: run each as a file (`python deploy/bench/audit_scan.py`) or as a module
(`python -m deploy.bench.audit_scan`); what they share is in deploy/benchkit."""
