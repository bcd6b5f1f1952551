"""TRACKING.md declarations: parsing, the schema, lint."""
