"""Rendering of results: terminal tables, text formats and figures."""
