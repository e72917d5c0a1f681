"""Text front-end for psigraph speech: text → :class:`UtterancePlan` (phones, syllables,
durations, f0 targets, emotion, persona). Pure Python, offline, deterministic.

Main entry point::

    from psigraph.nodes.speech.frontend import plan_utterance
    plan = plan_utterance("Hello! I'm Tori.", emotion="happy", persona="default", rate=1.0)
    plan.phones      # [Phone(ph, stress, start, dur, word, syl, is_pause, phrase_final, ...)]
    plan.f0          # [(t_s, hz), ...] — linear interpolation is the commanded contour
"""
from .emotion import NEUTRAL, PRESETS, Emotion, emotion_from_text, parse_emotion, prosody_modifiers
from .g2p import FUNCTION_WORDS, Pronunciation, is_function_word, lexicon, pronounce
from .normalize import Normalized, Token, UnspeakableTextError, normalize
from .persona import Persona, PersonaError, list_personas, load_persona
from .plan import (LEAD_SILENCE_S, PAUSE, TRAIL_SILENCE_S, Phone, Phrase, Syllable, UtterancePlan, Word,
                   plan_utterance, preload)
from .syllables import syllabify

__all__ = [
    "plan_utterance", "preload", "UtterancePlan", "Phone", "Syllable", "Word", "Phrase", "PAUSE",
    "LEAD_SILENCE_S", "TRAIL_SILENCE_S", "UnspeakableTextError", "normalize", "Normalized", "Token",
    "pronounce", "Pronunciation", "lexicon", "is_function_word", "FUNCTION_WORDS", "syllabify",
    "Emotion", "PRESETS", "NEUTRAL", "parse_emotion", "emotion_from_text", "prosody_modifiers",
    "Persona", "PersonaError", "load_persona", "list_personas",
]
