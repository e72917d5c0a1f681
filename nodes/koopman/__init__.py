"""Streaming Koopman / DMD monitor (koopman_monitor)."""
