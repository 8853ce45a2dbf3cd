"""Saved views: a named list with its filters and sort, kept for its owner or shared with the team."""
