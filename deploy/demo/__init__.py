"""`make demo-data`: a realistic campaign in the dashboard."""
