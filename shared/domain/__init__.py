"""The civil-registration domain: plain Python, no infrastructure (see DOMAIN.md)."""
