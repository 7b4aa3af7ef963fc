"""The audit interface: replay, time travel, integrity, explanations, exports."""
