"""Mangaki's REST API, version 1 (docs/api.md)."""
