"""Renderers: the verdict as console text, Markdown, JSON and workflow commands."""
