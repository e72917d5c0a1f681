"""Surprise detector (surprise_detector)."""
