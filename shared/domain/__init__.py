"""The civil-registration domain: requests, an applicant's history, the commands on it,
the rules that decide, and the messages applicants read. Plain Python and pydantic, no
infrastructure (tests/unit/test_import_direction.py holds it to that); docs/architecture.md
shows where it sits."""
