"""The text front-end's public entry points: ``plan_utterance(text) → UtterancePlan`` and, for
streaming, ``iter_plans(text)`` (one plan per sentence group; the first is the first sentence).

Pipeline: :mod:`.normalize` → :mod:`.g2p` → :mod:`.syllables` → :mod:`.durations` (Klatt rules)
→ :mod:`.intonation` (f0 targets), with :mod:`.emotion` and :mod:`.persona` scaling pitch,
range and rate. The plan is deterministic (same input, same plan) and timed in seconds from the
start of the utterance: a 50 ms leading silence, the phrases separated by pauses, a 150 ms
trailing silence. Pauses (and the edge silences) are ``Phone(ph="pau", is_pause=True)`` with
``word = syl = -1``.

Empty or unspeakable text (``""``, ``"!!!"``, only emoji) raises :class:`UnspeakableTextError`
(a :class:`psigraph.errors.PsigraphError`) with a one-line message; dropped characters in
otherwise speakable text are reported in ``plan.messages``; text psigraph cannot read (other scripts,
other languages) in ``plan.warnings`` (one line each, for the user; see :func:`.normalize.text_warnings`).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np

from psigraph.errors import ParamError

from .durations import Seg, pause_duration, segment_durations
from .emotion import emotion_from_text, parse_emotion, prosody_modifiers
from .g2p import contextual_pronunciation, is_function_word, is_vowel, pronounce, strip_stress
from .intonation import AccentSyl, PhraseSpan, f0_contour
from .language import ENGLISH_ONLY, describe_skipped
from .normalize import WH_QUESTION, Normalized, UnspeakableTextError, normalize
from .persona import Persona, load_persona
from .syllables import syllabify

__all__ = ["Phone", "Syllable", "Word", "Phrase", "UtterancePlan", "plan_utterance", "iter_plans", "preload",
           "LEAD_SILENCE_S", "TRAIL_SILENCE_S", "PAUSE"]

LEAD_SILENCE_S = 0.05
TRAIL_SILENCE_S = 0.15
PAUSE = "pau"
_VOICELESS_STOPS = {"P", "T", "K"}
_VOICED_CONS = {"M", "N", "NG", "L", "R", "W", "Y", "Z", "ZH", "V", "DH"}   # clearly periodic consonants


@dataclass(frozen=True)
class Phone:
    """One timed segment. ``ph`` is ARPAbet without stress digit (``"pau"`` for silence);
    ``stress`` 0/1/2 on vowels, -1 on consonants and pauses; ``word``/``syl`` index
    ``plan.words`` / ``plan.syllables`` (-1 for pauses); ``phrase_final``: in the last syllable
    before a break."""

    ph: str
    stress: int
    start: float
    dur: float
    word: int
    syl: int
    is_pause: bool
    phrase_final: bool
    word_initial: bool
    word_final: bool

    @property
    def end(self) -> float:
        return self.start + self.dur

    @property
    def arpabet(self) -> str:
        """``ph`` with its stress digit (``"AA1"``), as in the score's ``phone`` events."""
        return f"{self.ph}{self.stress}" if self.stress >= 0 else self.ph


@dataclass(frozen=True)
class Syllable:
    """A timed syllable: ``stress`` 0/1/2, ``word`` index, ``accent`` strength (0 = unaccented)."""

    start: float
    dur: float
    stress: int
    word: int
    accent: float = 0.0


@dataclass(frozen=True)
class Word:
    """A spoken word: normalized spelling, ARPAbet with stress, G2P source, timing and roles."""

    text: str
    phones: tuple[str, ...]
    source: str
    start: float
    dur: float
    function: bool
    emphasis: bool
    spelled: bool
    phrase: int


@dataclass(frozen=True)
class Phrase:
    """A breath group / intonation phrase: spoken span, following break level, sentence type."""

    start: float
    dur: float
    level: int
    sentence_type: str
    first_word: int
    last_word: int


@dataclass
class UtterancePlan:
    """Everything the voice needs to say one text. Times in seconds from the utterance start."""

    text: str
    words: list[Word]
    phones: list[Phone]
    syllables: list[Syllable]
    f0: list[tuple[float, float]]
    emotion: tuple[float, float, float]
    modifiers: dict[str, float]
    persona: Persona
    duration: float
    sentence_types: list[str]
    messages: list[str] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    rate: float = 1.0            # effective rate factor (user × persona × emotion)
    base_f0: float = 0.0         # effective base pitch (Hz): persona × emotion shift, or the f0_level asked for
    f0_range: float = 0.0        # effective range (semitones): persona × emotion factor, or the f0_range asked for
    pause_scale: float = 1.0     # factor on the pauses at phrase breaks (and between chunks)
    warnings: list[str] = field(default_factory=list)   # for the user: text it could not read (one line each)

    def f0_at(self, t) -> np.ndarray:
        """The commanded f0 (Hz) at time(s) ``t``: linear interpolation of ``f0``."""
        ts, hz = zip(*self.f0)
        return np.interp(t, ts, hz)

    def speech_phones(self) -> list[Phone]:
        return [p for p in self.phones if not p.is_pause]

    def stats(self) -> dict[str, float]:
        """Rate and pitch summary: words/min and syllables/s (over the whole utterance incl.
        pauses but excluding the edge silences), articulation rate (syllables/s without
        pauses), mean f0 over vowels (Hz and semitones re 100 Hz)."""
        speech = self.speech_phones()
        body = max(self.duration - LEAD_SILENCE_S - TRAIL_SILENCE_S, 1e-9)
        talk = sum(p.dur for p in speech) or 1e-9
        vowels = [p for p in speech if p.stress >= 0]
        if vowels:
            tt = np.concatenate([np.linspace(p.start, p.end, 5) for p in vowels])
            w = np.concatenate([np.full(5, p.dur) for p in vowels])
            st = 12 * np.log2(self.f0_at(tt) / 100.0)
            mean_st = float(np.sum(st * w) / np.sum(w))
        else:
            mean_st = 12 * math.log2(self.base_f0 / 100.0)
        return {
            "words": len(self.words), "syllables": len(self.syllables), "duration_s": self.duration,
            "words_per_min": 60.0 * len(self.words) / body,
            "syllables_per_s": len(self.syllables) / body,
            "articulation_syl_per_s": len(self.syllables) / talk,
            "mean_f0_st_re_100hz": mean_st, "mean_f0_hz": 100.0 * 2 ** (mean_st / 12),
        }

    def sources(self) -> Counter:
        """How many words came from each G2P source (lexicon / morph / compound / letters / lts)."""
        return Counter(w.source for w in self.words)

    def to_dict(self) -> dict:
        """A JSON-ready dict (for frames files, memory and debugging)."""
        d = asdict(self)
        d["persona"] = self.persona.to_dict()
        return d

    def replan(self, *, rate: float | None = None, f0_level: float | None = None, f0_range: float | None = None,
               pause_scale: float | None = None) -> "UtterancePlan":
        """The same text (this chunk), emotion and persona planned again with other prosody knobs: ``rate``
        (the caller's factor, as in :func:`plan_utterance`), ``f0_level`` (base pitch, Hz), ``f0_range``
        (semitones), ``pause_scale``. A knob left None keeps the value this plan was made with."""
        src = self._source
        knobs = dict(src["knobs"])
        for k, v in (("rate", rate), ("f0_level", f0_level), ("f0_range", f0_range), ("pause_scale", pause_scale)):
            if v is not None:
                knobs[k] = v
        _check_knobs(knobs["rate"], knobs["f0_level"], knobs["f0_range"], knobs["pause_scale"])
        plan = _plan_tokens(**{**src, "knobs": knobs})
        plan.warnings = list(self.warnings)
        return plan


# ----------------------------------------------------------------------------- building
@dataclass
class _W:
    tok_text: str
    phones: tuple[str, ...]
    source: str
    sylls: list
    function: bool
    emphasis: bool
    spelled: bool
    accent_syl: int
    accent: float


def _word_entries(words, all_caps_text: bool, wh_sentence_first: set[int], sentence_first: set[int]):
    out = []
    prons = [pronounce(t.text.lower() if all_caps_text else t.text, t.spell) for t in words]
    for k, tok in enumerate(words):
        pron = prons[k]
        phones = pron.phones or ("AH0",)
        ctx = contextual_pronunciation(tok.text, words[k - 1].text if k > 0 and k not in sentence_first else "",
                                       words[k + 1].text if k + 1 < len(words) else "",
                                       sentence_initial=k in sentence_first) if not tok.spell else None
        if ctx:
            phones = ctx
        if tok.text.lower() == "the" and k + 1 < len(words) and prons[k + 1].phones \
                and is_vowel(prons[k + 1].phones[0]):
            phones = ("DH", "IY0")          # "the apple": /ði/ before a vowel
        sylls = syllabify(phones)
        caps = tok.text.isupper() and len(tok.text) >= 2 and not all_caps_text
        emphasis = (caps and pron.source != "letters") or tok.emphasis
        function = is_function_word(tok.text) and not emphasis
        stresses = [s.stress for s in sylls]
        best = max(stresses) if stresses else 0
        accent_syl = stresses.index(best) if best > 0 else -1
        if best > 0 and best != 1 and 1 not in stresses:
            accent_syl = len(stresses) - 1 - stresses[::-1].index(best)
        if emphasis:
            accent = 1.6
        elif function:
            accent = 0.9 if k in wh_sentence_first else 0.0
        elif tok.spell:
            accent = 0.6
        else:
            accent = 1.0
        if accent_syl < 0:
            accent_syl = 0
        out.append(_W(tok.text, phones, pron.source, sylls, function, emphasis, tok.spell, accent_syl, accent))
    _vary_accents(out, sentence_first)
    return out


ACCENT_CLASH = 0.0      # an accent right before another accented word is dropped (the rhythm rule)
ACCENT_GIVEN = 0.4      # a content word already said in this text (given information)


def _vary_accents(entries, sentence_first: set[int]) -> None:
    """Not every content word gets the same accent: a word repeated from earlier in the text is
    given and de-accented; walking each sentence from its nuclear (last) accent leftwards, an
    accent directly before another full accent is dropped (clash avoidance, so prenuclear
    accents alternate: "COLD rain SOAKED the tired HIKers"). Emphasis and spelled words keep
    theirs."""
    seen: set[str] = set()
    for e in entries:
        key = e.tok_text.lower()
        if e.accent == 1.0 and key in seen:
            e.accent = ACCENT_GIVEN
        if not e.function:
            seen.add(key)
    starts = sorted(set(sentence_first) | {0}) + [len(entries)]
    for a, b in zip(starts, starts[1:]):
        nxt_full = False
        for k in range(b - 1, a - 1, -1):
            e = entries[k]
            if e.accent == 0.0:
                nxt_full = False
                continue
            if e.accent == 1.0 and nxt_full:
                e.accent = ACCENT_CLASH
            nxt_full = e.accent >= 1.0


MAX_PHRASE_WORDS = 12
_SPLIT_BEFORE = {  # word → preference for a breath-group boundary before it
    "and": 3, "but": 3, "or": 2, "because": 3, "although": 3, "though": 2, "while": 3, "whereas": 3,
    "which": 3, "who": 2, "that": 2, "when": 2, "where": 2, "if": 2, "so": 2, "since": 2, "until": 2,
    "after": 2, "before": 2, "unless": 2, "with": 1, "from": 1, "for": 1, "to": 1, "in": 1, "on": 1,
    "at": 1, "of": 1, "into": 1, "about": 1, "without": 1, "through": 1,
}


def _split_long(words: list, brk) -> list:
    """Split a phrase longer than MAX_PHRASE_WORDS into breath groups (before a conjunction or
    preposition near the middle); the inserted breaks are minor with an empty ``text``
    (half-length pause)."""
    n = len(words)
    if n <= MAX_PHRASE_WORDS:
        return [(words, brk)]
    best, best_score = n // 2, -1e9
    for i in range(4, n - 3):
        pref = _SPLIT_BEFORE.get(words[i].text.lower(), 0)
        if pref == 0:
            continue
        score = 2.0 * pref - abs(i - n / 2) / 2.0
        if score > best_score:
            best, best_score = i, score
    from .normalize import Token
    mid = Token("break", "", level=1)
    return _split_long(words[:best], mid) + _split_long(words[best:], brk)


def preload() -> None:
    """Load the lexicon and compile the rules now (~0.4 s) so the first plan is fast (~10 ms).

    A planner node should call this in ``reset()``.
    """
    from .g2p import lexicon
    lexicon()
    normalize("Dr. Smith paid $1.50 at 5:30pm.")


def _check_rate(rate) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) \
            or not 0.1 <= rate <= 10:
        raise ParamError("speaking rate out of range", where="rate", expected="0.1..10", got=repr(rate))


#: accepted ranges of the pitch and pause knobs (the persona file's pitch limits, widened by an octave)
F0_LEVEL_HZ = (25.0, 800.0)
F0_RANGE_ST = (0.0, 36.0)
PAUSE_SCALE = (0.05, 20.0)


def _check_knobs(rate, f0_level, f0_range, pause_scale) -> None:
    _check_rate(rate)
    for name, value, (lo, hi) in (("f0_level", f0_level, F0_LEVEL_HZ), ("f0_range", f0_range, F0_RANGE_ST),
                                  ("pause_scale", pause_scale, PAUSE_SCALE)):
        if value is None and name != "pause_scale":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not lo <= value <= hi:
            raise ParamError(f"{name.replace('_', ' ')} out of range", where=name, expected=f"{lo:g}..{hi:g}",
                             got=repr(value))


def _nothing_to_say(text: str, norm: Normalized) -> str:
    """The one-line reason there is nothing to say, naming what was skipped."""
    if not text.strip():
        return "nothing to say: the text is empty"
    parts = []
    what = describe_skipped(norm.skipped)
    if what:
        parts.append(what)
    script = {c for run in norm.skipped for c in run} if what else set()
    other = [c for c in norm.dropped if c not in script]
    if other:
        uniq = "".join(dict.fromkeys(other))
        shown = uniq if len(uniq) <= 24 else uniq[:24] + "…"
        parts.append(f"{len(other)} emoji or symbol{'s' if len(other) != 1 else ''} it cannot say: {shown!r}")
    if parts:
        return f"nothing to say: skipped {'; '.join(parts)} ({ENGLISH_ONLY})"
    shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:40] + "…"
    return f"nothing to say: {shown!r} has no words, only punctuation or markup ({ENGLISH_ONLY})"


def _normalized_or_raise(text) -> Normalized:
    if text is None:
        text = ""
    text = text if isinstance(text, str) else str(text)
    norm = normalize(text)
    if not norm.words:
        raise UnspeakableTextError(_nothing_to_say(text, norm), where="text",
                                   hint="give at least one word, number or letter")
    return norm


def plan_utterance(text: str, emotion=None, persona="default", rate: float = 1.0, *, f0_level: float | None = None,
                   f0_range: float | None = None, pause_scale: float = 1.0) -> UtterancePlan:
    """Plan how to say ``text``.

    ``emotion``: None (estimate from the text), a preset name, ``"V,A,D"`` or an :class:`Emotion`.
    ``persona``: a shipped name, a YAML path or a :class:`Persona`. ``rate``: extra speaking-rate
    factor (> 0; 1.5 = 50 % faster). ``f0_level``: base pitch in Hz (the contour's reference line;
    default: the persona's ``base_f0`` shifted by the emotion); ``f0_range``: pitch range in semitones
    (default: the persona's ``f0_range`` × the emotion's factor); ``pause_scale``: factor on the pauses
    at phrase breaks (they also scale with 1/rate). Raises :class:`UnspeakableTextError` when nothing
    can be said, :class:`psigraph.errors.ParamError` for a bad emotion, rate or knob, ``PersonaError``
    for a bad persona.
    """
    _check_knobs(rate, f0_level, f0_range, pause_scale)
    norm = _normalized_or_raise(text)
    pers = load_persona(persona)
    emo = parse_emotion(emotion) if emotion is not None else emotion_from_text(norm.tokens)
    plan = _plan_tokens(norm.text, norm.tokens, list(norm.messages), emo, pers, norm.sentence_types, True,
                        knobs=_knobs(rate, f0_level, f0_range, pause_scale))
    plan.warnings = list(norm.warnings)
    return plan


def _knobs(rate, f0_level, f0_range, pause_scale) -> dict:
    return {"rate": float(rate), "f0_level": None if f0_level is None else float(f0_level),
            "f0_range": None if f0_range is None else float(f0_range), "pause_scale": float(pause_scale)}


def iter_plans(text: str, emotion=None, persona="default", rate: float = 1.0, *, f0_level: float | None = None,
               f0_range: float | None = None, pause_scale: float = 1.0,
               max_words: int = 40, first_alone: bool = True) -> Iterator[UtterancePlan]:
    """Plan ``text`` in consecutive chunks of whole sentences, for streaming synthesis.

    The first chunk is the first sentence alone (so audio can start after ~10 ms of planning; with
    ``first_alone=False`` it groups sentences like the others); later chunks group sentences up to
    ``max_words`` words. The emotion is estimated once from
    the whole text. Every chunk starts with the 50 ms lead silence; a non-final chunk ends with
    the rest of a major-break pause instead of the 150 ms trailing silence, so concatenating the
    chunks' audio gives the same rhythm as one plan. Normalization messages and warnings go on the
    first chunk. ``f0_level``, ``f0_range`` and ``pause_scale`` as in :func:`plan_utterance`; every
    chunk can be planned again with other knobs (:meth:`UtterancePlan.replan`).
    """
    _check_knobs(rate, f0_level, f0_range, pause_scale)
    norm = _normalized_or_raise(text)
    pers = load_persona(persona)
    emo = parse_emotion(emotion) if emotion is not None else emotion_from_text(norm.tokens)
    sentences, cur = [], []
    for tok in norm.tokens:
        cur.append(tok)
        if tok.kind == "break" and tok.level >= 2:
            sentences.append(cur)
            cur = []
    if cur:
        sentences.append(cur)
    chunks, cur, n_words = [], [], 0
    for k, sent in enumerate(sentences):
        w = sum(1 for t in sent if t.kind == "word")
        if cur and ((first_alone and len(chunks) == 0) or n_words + w > max_words):
            chunks.append(cur)
            cur, n_words = [], 0
        cur = cur + sent
        n_words += w
    if cur:
        chunks.append(cur)
    all_caps = _all_caps(norm.tokens)    # decided on the whole text, as plan_utterance does
    knobs = _knobs(rate, f0_level, f0_range, pause_scale)
    sentence0 = 0                       # sentences of the text before this chunk (paragraph intonation)
    for k, toks in enumerate(chunks):
        last = k == len(chunks) - 1
        text_k = " ".join(t.text for t in toks if t.kind == "word")
        types = [t.sentence_type for t in toks if t.kind == "break" and t.level >= 2]
        plan = _plan_tokens(text_k if len(chunks) > 1 else norm.text, toks,
                            list(norm.messages) if k == 0 else [], emo, pers, types, last, all_caps,
                            knobs=knobs, sentence0=sentence0)
        sentence0 += sum(1 for t in toks if t.kind == "break" and t.level >= 2)
        plan.warnings = list(norm.warnings) if k == 0 else []
        yield plan


def _all_caps(words) -> bool:
    """True when the whole text is written in capitals (then capitals are words, not acronyms)."""
    letters_words = [w for w in words if w.kind == "word" and not w.spell and any(c.isalpha() for c in w.text)]
    return bool(letters_words) and all(w.text.isupper() for w in letters_words) and len(letters_words) > 1


def _plan_tokens(text: str, tokens, messages: list[str], emo, pers: Persona, sentence_types: list[str],
                 final: bool, all_caps: bool | None = None, *, knobs: dict, sentence0: int = 0) -> UtterancePlan:
    """One plan of ``tokens``. ``final``: the text ends here (150 ms trailing silence; else the rest of a
    major-break pause, so the next chunk continues in rhythm; its last sentence ends the turn: paragraph
    intonation). ``knobs``: rate, f0_level, f0_range, pause_scale (see :func:`plan_utterance`).
    ``sentence0``: sentences of the text before these tokens."""
    source = {"text": text, "tokens": tokens, "messages": list(messages), "emo": emo, "pers": pers,
              "sentence_types": list(sentence_types), "final": final, "all_caps": all_caps, "knobs": dict(knobs),
              "sentence0": sentence0}
    mods = prosody_modifiers(emo)
    eff_rate = knobs["rate"] * pers.rate * mods["rate"]
    pause_scale = knobs["pause_scale"]
    trail = TRAIL_SILENCE_S if final else max(pause_duration(2, eff_rate) * pause_scale - LEAD_SILENCE_S, 0.05)

    # --- phrases of word tokens
    phrases_tok: list[tuple[list, object]] = []
    cur: list = []
    for tok in tokens:
        if tok.kind == "word":
            cur.append(tok)
        else:
            if cur:
                phrases_tok.append((cur, tok))
            elif phrases_tok and tok.level > phrases_tok[-1][1].level:
                phrases_tok[-1] = (phrases_tok[-1][0], tok)
            cur = []
    phrases_tok = [piece for words, brk in phrases_tok for piece in _split_long(words, brk)]
    all_words = [w for ph, _ in phrases_tok for w in ph]
    all_caps_text = _all_caps(all_words) if all_caps is None else all_caps

    # the first word of each wh-question gets an accent even though it is a function word
    wh_first: set[int] = set()
    sentence_first: set[int] = {0}
    idx, sent_start = 0, 0
    for words, brk in phrases_tok:
        idx += len(words)
        if brk.level >= 2:
            if brk.sentence_type == WH_QUESTION:
                wh_first.add(sent_start)
            sent_start = idx
            sentence_first.add(idx)
    entries = _word_entries(all_words, all_caps_text, wh_first, sentence_first)

    # --- segment contexts and durations, phrase by phrase
    phones: list[Phone] = [Phone(PAUSE, -1, 0.0, LEAD_SILENCE_S, -1, -1, True, False, False, False)]
    syllables: list[Syllable] = []
    words_out: list[Word] = []
    phr_out: list[Phrase] = []
    acc_sylls: list[AccentSyl] = []
    spans: list[PhraseSpan] = []
    t = LEAD_SILENCE_S
    wi = 0
    first_of_sentence = True
    sentence = sentence0                # index of the current sentence in the text (the turn)
    last_sentence = sentence0 + sum(1 for _, b in phrases_tok[:-1] if b.level >= 2)
    for pi, (ptoks, brk) in enumerate(phrases_tok):
        pw = entries[wi:wi + len(ptoks)]
        # flatten phones with context
        flat = []   # (word_idx_global, local_phone_idx, syll_local_idx, entry)
        for j, e in enumerate(pw):
            for si, sy in enumerate(e.sylls):
                for k in range(sy.start, sy.stop):
                    flat.append((wi + j, k, si, e))
        segs = []
        for n, (gw, k, si, e) in enumerate(flat):
            ph_full = e.phones[k]
            ph = strip_stress(ph_full)
            sy = e.sylls[si]
            prev = strip_stress(flat[n - 1][3].phones[flat[n - 1][1]]) if n > 0 else ""
            nxt_in_word = n + 1 < len(flat) and flat[n + 1][0] == gw
            nxt = strip_stress(flat[n + 1][3].phones[flat[n + 1][1]]) if n + 1 < len(flat) else ""
            onset_asp = False
            if is_vowel(ph_full) and k > sy.start:
                onset_asp = strip_stress(e.phones[k - 1]) in _VOICELESS_STOPS
            segs.append(Seg(
                ph=ph, stress=max(sy.stress, 0), vowel=is_vowel(ph_full), word_initial=(k == 0),
                word_final_syl=(si == len(e.sylls) - 1),
                phrase_final_syl=(gw == wi + len(pw) - 1 and si == len(e.sylls) - 1),
                word_syllables=len(e.sylls), coda=(sy.nucleus >= 0 and k > sy.nucleus),
                function_word=e.function, emphasis=e.emphasis and si == e.accent_syl,
                prev=prev, next=nxt, next_in_word=nxt_in_word, onset_after_voiceless_stop=onset_asp))
        durs = segment_durations(segs, eff_rate)
        p_start = t
        n = 0
        for j, e in enumerate(pw):
            gw = wi + j
            w_start = t
            for si, sy in enumerate(e.sylls):
                s_start = t
                syl_index = len(syllables)
                nuc_start, nuc_dur = t, 0.0
                for k in range(sy.start, sy.stop):
                    d = durs[n]
                    seg = segs[n]
                    if k == sy.nucleus:
                        nuc_start, nuc_dur = t, d
                    phones.append(Phone(seg.ph, int(e.phones[k][-1]) if seg.vowel else -1, t, d, gw,
                                        syl_index, False, seg.phrase_final_syl, k == 0,
                                        k == len(e.phones) - 1))
                    t += d
                    n += 1
                if nuc_dur == 0.0:
                    nuc_start, nuc_dur = s_start, t - s_start
                acc = e.accent if si == e.accent_syl else 0.0
                syllables.append(Syllable(s_start, t - s_start, max(sy.stress, 0), gw, acc))
                acc_sylls.append(AccentSyl(s_start, t - s_start, nuc_start, nuc_dur, max(sy.stress, 0), acc, pi))
            words_out.append(Word(e.tok_text, e.phones, e.source, w_start, t - w_start, e.function,
                                  e.emphasis, e.spelled, pi))
        voiced = [p for p in phones[-n:] if p.stress >= 0 or p.ph in _VOICED_CONS]
        v_end = voiced[-1].end if voiced else t
        spans.append(PhraseSpan(p_start, t, brk.level, brk.sentence_type, first_of_sentence, v_end,
                                sentence, final and sentence == last_sentence))
        sentence += brk.level >= 2
        phr_out.append(Phrase(p_start, t - p_start, brk.level, brk.sentence_type, wi, wi + len(pw) - 1))
        first_of_sentence = brk.level >= 2
        wi += len(pw)
        last = pi == len(phrases_tok) - 1
        pdur = trail if last else pause_duration(brk.level, eff_rate) * pause_scale * (0.5 if brk.text == "" else 1.0)
        phones.append(Phone(PAUSE, -1, t, pdur, -1, -1, True, False, False, False))
        t += pdur
    total = t

    base_hz = pers.base_f0 * 2.0 ** (mods["pitch_shift_st"] / 12.0) if knobs["f0_level"] is None else knobs["f0_level"]
    range_st = pers.f0_range * mods["pitch_range"] if knobs["f0_range"] is None else knobs["f0_range"]
    f0 = f0_contour(acc_sylls, spans, total, base_hz, range_st)
    lts = [w.text for w in words_out if w.source == "lts"]
    if lts:
        uniq = list(dict.fromkeys(lts))
        more = f" (+{len(uniq) - 12} more)" if len(uniq) > 12 else ""
        shown = [w if len(w) <= 24 else w[:24] + "…" for w in uniq[:12]]   # one short line, whatever the words
        messages.append(f"pronounced by rule (not in the lexicon): {', '.join(shown)}{more}")
    plan = UtterancePlan(
        text=text, words=words_out, phones=phones, syllables=syllables, f0=f0,
        emotion=emo.as_tuple(), modifiers=mods, persona=pers, duration=total,
        sentence_types=list(sentence_types), messages=messages, phrases=phr_out, rate=eff_rate,
        base_f0=base_hz, f0_range=range_st, pause_scale=pause_scale)
    plan._source = source               # not a field: what replan() needs (tokens, knobs)
    return plan
