"""Listening: audio_source (file or microphone) and listener (pitch, envelope, syllable onsets)."""
