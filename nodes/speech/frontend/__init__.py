"""Text front-end for psigraph speech: text → :class:`UtterancePlan` (phones, syllables,
durations, f0 targets, emotion, persona). Pure Python, offline, deterministic.

Main entry point::

    from psigraph.nodes.speech.frontend import plan_utterance
    plan = plan_utterance("Hello! I'm Tori.", emotion="happy", persona="default", rate=1.0)
    plan.phones      # [Phone(ph, stress, start, dur, word, syl, is_pause, phrase_final, ...)]
    plan.f0          # [(t_s, hz), ...] — linear interpolation is the commanded contour

``UtterancePlan`` fields (times in seconds from the utterance start):

- ``phones``: ``Phone(ph, stress, start, dur, word, syl, is_pause, phrase_final, word_initial,
  word_final)``; ``ph`` ARPAbet without digit or ``"pau"``; ``stress`` 0/1/2 on vowels, -1 otherwise;
  ``word``/``syl`` index ``words``/``syllables`` (-1 for pauses). The list is contiguous and starts
  with a 50 ms and ends with a 150 ms ``pau``.
- ``syllables``: ``Syllable(start, dur, stress, word, accent)``; ``words``: ``Word(text, phones,
  source, start, dur, function, emphasis, spelled, phrase)``; ``phrases``: ``Phrase(start, dur,
  level, sentence_type, first_word, last_word)`` (breath groups; level 1 minor, 2 major).
- ``f0``: strictly increasing ``(t, hz)`` from 0 to ``duration``; ``f0_at(t)`` interpolates.
- ``emotion`` (v, a, d); ``modifiers`` (see :func:`prosody_modifiers`: pitch_shift_st, pitch_range,
  rate, loudness_db, tilt_db, tremolo_depth, tremolo_hz, breathiness, jitter_scale) — pitch and
  rate are already applied to ``f0`` and the timing; the voice applies the rest.
- ``persona`` (:class:`Persona`), ``duration``, ``sentence_types``, ``messages`` (notes: dropped
  characters, words read by rule), ``warnings`` (for the user, see below), ``rate`` / ``base_f0`` /
  ``f0_range`` (effective values), ``stats()``, ``sources()``, ``to_dict()``.

psigraph speaks English. Text it cannot read is reported, never silently lost:
:func:`text_warnings` (``text → list[str]``, one line each; also ``plan.warnings`` and
``Normalized.warnings``) names text in other scripts that is skipped (``Hello 世界`` →
``skipped 2 Chinese characters it cannot read: '世界' (psigraph speaks English)``) and Latin-script
text that looks like another language (read with English rules; see :mod:`.language`). A caller
(the CLI) prints each once; the front-end and the nodes never print.

Call :func:`preload` once at start-up (loads the 126k-word lexicon, ~0.4 s) so that planning a
sentence then takes ~5–10 ms. Text with nothing readable left (empty, only punctuation, emoji or
other scripts) raises :class:`UnspeakableTextError` with one line naming what was skipped.
"""
from .emotion import NEUTRAL, PRESETS, Emotion, emotion_from_text, parse_emotion, prosody_modifiers
from .g2p import FUNCTION_WORDS, Pronunciation, is_function_word, lexicon, pronounce
from .language import language_warning
from .normalize import Normalized, Token, UnspeakableTextError, normalize, text_warnings
from .persona import Persona, PersonaError, list_personas, load_persona
from .plan import (LEAD_SILENCE_S, PAUSE, TRAIL_SILENCE_S, Phone, Phrase, Syllable, UtterancePlan, Word,
                   iter_plans, plan_utterance, preload)
from .syllables import syllabify

__all__ = [
    "plan_utterance", "iter_plans", "preload", "UtterancePlan", "Phone", "Syllable", "Word", "Phrase", "PAUSE",
    "LEAD_SILENCE_S", "TRAIL_SILENCE_S", "UnspeakableTextError", "normalize", "Normalized", "Token",
    "text_warnings", "language_warning",
    "pronounce", "Pronunciation", "lexicon", "is_function_word", "FUNCTION_WORDS", "syllabify",
    "Emotion", "PRESETS", "NEUTRAL", "parse_emotion", "emotion_from_text", "prosody_modifiers",
    "Persona", "PersonaError", "load_persona", "list_personas",
]
