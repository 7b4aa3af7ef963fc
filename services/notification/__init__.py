"""The notification service: tells applicants, by email and SMS, once per decision."""
