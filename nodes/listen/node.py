"""Listening node types (entry-point module)."""
