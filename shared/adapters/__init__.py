"""Adapters from third-party data and services to the domain's ports."""
