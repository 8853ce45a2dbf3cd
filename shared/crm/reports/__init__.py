"""Saved reports: definitions, runs over the API's own lists, and their scheduled emails."""
