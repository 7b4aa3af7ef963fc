"""Tools beside the services: benchmarks, the drill, the demo, documents (not shipped)."""
