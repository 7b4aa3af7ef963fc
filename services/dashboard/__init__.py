"""The supervisors' dashboard: a campaign's progress per kecamatan, kelurahan and outreach
point, from its own read model of the events topic (counts and tracking codes only)."""
