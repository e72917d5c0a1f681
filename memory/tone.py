"""Emotional memory (DESIGN §6 ``psi_memory``): say new words in the tone of stored ones.

Every utterance the recorder stores carries a *signature* of how it was said (memory/API.md): the
emotion vector, f0 level and range, syllable rate, pauses, the phase offsets of the expression roles
(measured by :mod:`psigraph.kernels.prosody` on the rows as heard). The ``psi_memory`` node turns
stored signatures into one ``tone`` event (:data:`psigraph.chain.TONE`) at the start of the run;
the prosody planner's optional ``tone`` input then plans every chunk so that what will be heard
meets those numbers (nodes/speech/tone.py).

* **recall** (``like`` = [ID] or [text]): the tone of one stored utterance — an id, or a text matched
  by its keyed hash, else by the nearest kept text (:meth:`Store.find`);
* **interpolation** (``like`` = [A, B], ``mix`` = w): between two stored tones, w = 0 is A and w = 1
  is B (:func:`interpolate`: emotion and f0 range linear, f0 level and rate geometric, pauses linear,
  expression phases along the shorter arc);
* **persona continuity** (``like`` = [], ``mood``): the persona's last macro state, which the recorder
  stores at every commit (:func:`mood_of`, ``Store.set_mood``), is restored when the next session
  with the same store and persona starts.

The pitch and rate of a stored tone are carried relative to the persona that said it: an utterance
of the ``low`` persona (115 Hz) recalled by ``default`` (150 Hz) keeps its intervals, not its Hz.

:func:`distance` is the prosody distance the tests use: the Euclidean norm of the differences of
:func:`features` — f0 level and f0 range in semitones, syllable rate in steps of 5 % (log scale),
mean pause in steps of 50 ms (only when both have pauses) — units near the just-noticeable
difference of each, so no feature dominates by its unit. The emotion vector is left out on purpose:
a recalled tone copies it exactly, so it would flatter every comparison.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from psigraph import chain
from psigraph.errors import Issue, PsigraphError
from psigraph.node import Node
from psigraph.params import Params, param
from psigraph.ports import Event, Events, Out

from .working import WorkingMemory  # noqa: F401  (registered from this entry-point module)

__all__ = ["PsiMemory", "features", "distance", "interpolate", "tone_of", "mood_of", "FEATURE_UNITS", "ROLE"]

#: what psi_memory is in the chain (say finds it by this part; a plain string, see psigraph.chain)
ROLE = "psi_memory"
MAX_LIKE = 2

#: feature → the difference that counts as 1 in :func:`distance`
FEATURE_UNITS = {"f0_level_st": 1.0,        # semitones (re 100 Hz)
                 "f0_range_st": 1.0,        # semitones
                 "rate_log": math.log(1.05),  # natural log of syllables per second: 5 % steps
                 "pause_s": 0.05}           # seconds of mean pause (both must have pauses)


# ---------------------------------------------------------------- signatures → features, distance, tones
def _num(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def features(sig: dict) -> dict:
    """The normalisable prosody features of a signature (or tone): f0 level in semitones re 100 Hz, f0
    range in semitones, ln(syllables per second), mean pause in seconds (None when it has no pauses)."""
    level = _num(sig.get("f0_level_hz"))
    rate = _num(sig.get("rate_sps"))
    pauses = sig.get("pauses")
    if isinstance(pauses, dict):
        pause = _num(pauses.get("mean_s")) if pauses.get("count") else None
    else:
        pause = _num(sig.get("pause_s"))
    return {"f0_level_st": 12.0 * math.log2(level / 100.0) if level and level > 0 else None,
            "f0_range_st": _num(sig.get("f0_range_st")),
            "rate_log": math.log(rate) if rate and rate > 0 else None,
            "pause_s": pause if pause and pause > 0 else None}


def distance(a: dict, b: dict) -> float:
    """Prosody distance between two signatures: √Σ((fa − fb) / unit)² over the features both have
    (:data:`FEATURE_UNITS`)."""
    fa, fb = features(a), features(b)
    total = 0.0
    for k, unit in FEATURE_UNITS.items():
        if fa[k] is not None and fb[k] is not None:
            total += ((fa[k] - fb[k]) / unit) ** 2
    return math.sqrt(total)


def _persona(name):
    try:
        from psigraph.nodes.speech.frontend.persona import load_persona
        return load_persona(name)
    except Exception:  # noqa: BLE001 - a persona file that is gone: keep absolute values
        return None


def tone_of(sig: dict, said_by: str | None = None, speaker: str | None = None) -> dict:
    """The ``tone`` payload of a stored signature, its pitch and rate moved from the persona that said
    it (``said_by``) to the one that will speak (``speaker``): same intervals and relative tempo."""
    tone: dict = {}
    emo = sig.get("emotion")
    if isinstance(emo, (list, tuple)) and len(emo) == 3 and all(_num(v) is not None for v in emo):
        tone["emotion"] = [float(v) for v in emo]
    level, rng, rate = _num(sig.get("f0_level_hz")), _num(sig.get("f0_range_st")), _num(sig.get("rate_sps"))
    then, now = (_persona(said_by), _persona(speaker)) if said_by and speaker and said_by != speaker else (None, None)
    if level and level > 0:
        tone["f0_level_hz"] = level * (now.base_f0 / then.base_f0 if then and now else 1.0)
    if rng is not None and level:
        tone["f0_range_st"] = rng
    if rate and rate > 0:
        tone["rate_sps"] = rate * (now.rate / then.rate if then and now else 1.0)
    pause = features(sig)["pause_s"]
    if pause:
        tone["pause_s"] = pause
    offs = sig.get("phase_offsets")
    if isinstance(offs, dict):
        offs = {str(k): float(v) for k, v in offs.items() if _num(v) is not None}
        if offs:
            tone["phase_offsets"] = offs
    return tone


def interpolate(a: dict, b: dict, w: float) -> dict:
    """A tone between tones ``a`` (w = 0) and ``b`` (w = 1): emotion and f0 range linear, f0 level and
    syllable rate geometric (linear in semitones / log tempo), mean pause linear (the one that has
    pauses when only one does), expression phases along the shorter arc."""
    w = float(w)
    out: dict = {}
    for k in ("emotion", "f0_level_hz", "f0_range_st", "rate_sps", "pause_s", "phase_offsets"):
        x, y = a.get(k), b.get(k)
        if x is None or y is None:
            if x is not None or y is not None:
                out[k] = x if x is not None else y
            continue
        if k == "emotion":
            out[k] = [(1 - w) * p + w * q for p, q in zip(x, y)]
        elif k in ("f0_level_hz", "rate_sps"):
            out[k] = math.exp((1 - w) * math.log(x) + w * math.log(y))
        elif k == "phase_offsets":
            out[k] = {r: (x[r] + w * ((y[r] - x[r] + math.pi) % (2 * math.pi) - math.pi)) % (2 * math.pi)
                      for r in x if r in y}
        else:
            out[k] = (1 - w) * x + w * y
    return out


def mood_of(macro_row, sig: dict, uid: int) -> dict:
    """What the recorder stores as a persona's mood after an utterance: its last macro frame row
    ``[valence, arousal, dominance, tempo]`` (float32, as stored) and the tone it was said in."""
    row = [float(v) for v in list(macro_row)[:4]]
    tone = tone_of(sig)
    tone["emotion"] = row[:3]                       # the macro state itself, not the planned vector
    return {"version": 1, "macro": row, "tone": tone, "utterance": int(uid)}


# ---------------------------------------------------------------- resolving what the params ask for
@dataclass(frozen=True)
class _Resolved:
    tone: dict | None
    issue: Issue | None = None
    ids: tuple = ()
    what: str = ""           # for people: whose tone it is


_CACHE: dict = {}


def _like_items(p) -> list | None:
    """``like`` as a list of ids (int) and texts (str), or None when it is malformed."""
    items = p.like if isinstance(p.like, list) else None
    if items is None:
        return None
    for x in items:
        if isinstance(x, bool) or not (isinstance(x, int) and 1 <= x < 2 ** 63 or isinstance(x, str) and x.strip()):
            return None
    return list(items)


def _resolve(p) -> _Resolved:
    """The tone the params ask for (cached by store file state), or an issue naming the problem."""
    like = _like_items(p)
    if like is None:
        return _Resolved(None, Issue("params.like", f"must be a list of utterance ids (>= 1) and texts, got "
                                                    f"{_short(p.like)}", code="param.type"))
    if len(like) > MAX_LIKE:
        return _Resolved(None, Issue("params.like", f"at most {MAX_LIKE} stored utterances can be mixed "
                                                    f"(got {len(like)})", code="param.range"))
    if not like and not p.mood:
        return _Resolved(None)
    if not p.path:
        if like:
            return _Resolved(None, Issue("params.path", "recalling a stored tone needs a store (--db STORE)",
                                         code="memory.no_store"))
        return _Resolved(None)
    full = os.path.abspath(p.path)
    from .nodes import _stat_key
    key = (full, p.key_file, tuple(like), p.mix, p.persona, bool(p.mood), _stat_key(full))
    hit = _CACHE.get(key)
    if hit is None:
        hit = _read(p, like, full)
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = hit
    return hit


def _short(x) -> str:
    r = repr(x)
    return r if len(r) <= 60 else r[:57] + "…"


def _read(p, like: list, full: str) -> _Resolved:
    r = _read_store(p, like, full)
    if not like and r.issue is not None:
        # only the mood was asked for: a store it cannot read holds no mood to restore (the recorder
        # beside it, if any, reports the problem itself)
        i = r.issue
        return _Resolved(None, Issue(i.path, f"no mood restored: {i.message}", severity="warning", code=i.code))
    return r


def _read_store(p, like: list, full: str) -> _Resolved:
    from .nodes import _id_ranges, _key_issues, open_store

    def bad(msg, code, where="params.path"):
        return _Resolved(None, Issue(where, msg, code=code))
    issues = _key_issues(p.key_file)
    if issues:
        return _Resolved(None, issues[0])
    if not os.path.exists(full):
        if not like:
            return _Resolved(None)              # no store yet: no mood to restore (the recorder creates it)
        return bad(f"no store at {p.path!r}: nothing said earlier to sound like; record with "
                   f"`psigraph say TEXT -o out.wav --db {p.path}`", "path.missing")
    if os.path.isdir(full):
        return bad(f"{p.path!r} is a folder, not a store", "path.is_folder")
    try:
        store = open_store(full, p.key_file, create=False)
    except PsigraphError as e:
        return bad(e.message + (f"; {e.hint}" if e.hint else ""), e.code or "memory.open")
    except Exception as e:  # noqa: BLE001 - a check reports, never raises
        return bad(f"cannot open store {p.path!r}: {type(e).__name__}: {e}", "memory.open")
    try:
        if not like:
            mood = store.mood(p.persona)
            if not isinstance(mood, dict) or not isinstance(mood.get("tone"), dict):
                return _Resolved(None)
            from psigraph.nodes.speech.tone import clean_tone
            after = f" (utterance {mood['utterance']})" if isinstance(mood.get("utterance"), int) else ""
            return _Resolved(clean_tone(mood["tone"]) or None, what=f"the last mood of persona {p.persona!r}{after}")
        ids = [x.id for x in store.utterances()]
        tones, found = [], []
        for item in like:
            if isinstance(item, int):
                if item not in ids:
                    have = f"it holds {_id_ranges(ids)}" if ids else "it is empty"
                    return bad(f"no utterance {item} in {p.path!r} ({have}); `psigraph memory list {p.path}` "
                               "lists them", "memory.unknown_id", "params.like")
                uid = item
            else:
                uid = store.find(item)
                if uid is None:
                    kept = "" if any(u.text for u in store.utterances()) else \
                        " (it keeps no texts: only an exact repeat matches; record with --keep-text)"
                    return bad(f"nothing in {p.path!r} was said like {_short(item)}: no utterance with that text, "
                               f"and no kept text at least 50 % similar{kept}", "memory.no_match", "params.like")
            sig = store.signature(uid) or {}
            if not isinstance(sig, dict) or "f0_level_hz" not in sig or "rate_sps" not in sig:
                return bad(f"utterance {uid} in {p.path!r} has no prosody signature (recorded by another tool?)",
                           "memory.no_signature", "params.like")
            tones.append(tone_of(sig, store.utterance(uid).persona, p.persona))
            found.append(uid)
        tone = tones[0] if len(tones) == 1 else interpolate(tones[0], tones[1], p.mix)
        what = (f"the tone of utterance {found[0]}" if len(found) == 1 else
                f"a {p.mix:.2f} mix of the tones of utterances {found[0]} and {found[1]}")
        from psigraph.nodes.speech.tone import clean_tone
        return _Resolved(clean_tone(tone), ids=tuple(found), what=what)
    except PsigraphError as e:
        return bad(e.message, e.code or "memory.open")
    finally:
        store.close()


# ---------------------------------------------------------------- the node
class PsiMemoryParams(Params):
    path: str = param("", doc="the ψ-memory store ('': none)")
    key_file: str = param("", doc="file holding the store key (empty: $PSIGRAPH_DB_KEY, else unencrypted)")
    like: list = param([], doc="stored utterances to sound like: ids, or texts matched by hash / nearest kept "
                               "text; two are mixed by `mix`")
    mix: float = param(0.5, ge=0.0, le=1.0, doc="with two `like`: 0 = the first's tone, 1 = the second's")
    persona: str = param("default", doc="the persona that speaks (its mood; pitch and rate are carried over "
                                        "relative to the persona that said the stored utterance)")
    mood: bool = param(True, doc="with no `like`: restore the persona's last mood from the store")


@dataclass
class _State:
    sent: bool = False
    told: str = ""           # whose tone was sent (for the say summary)


class PsiMemory(Node[PsiMemoryParams]):
    """Emotional memory: emits the tone of stored utterances (or the persona's mood) for the planner."""

    type_id = "psi_memory"
    category = "memory"
    ROLE = ROLE
    tone = Out(Events, doc="one `tone` event at the start: {emotion, f0_level_hz, f0_range_st, rate_sps, "
                           "pause_s?, phase_offsets} (connect to prosody_planner.tone)")

    @classmethod
    def check(cls, params, inputs) -> list:
        r = _resolve(params)
        issues = [r.issue] if r.issue is not None else []
        like = _like_items(params)
        if not issues and like is not None and len(like) < 2 and params.mix != PsiMemoryParams().mix:
            issues.append(Issue("params.mix", "mixes two stored tones: give two `like` entries",
                                severity="warning", code="param.unused"))
        return issues

    def reset(self):
        self.state = _State()

    def process(self):
        if self.state.sent or self.t1 <= self.t0:
            return []
        self.state.sent = True
        r = _resolve(self.params)
        if r.issue is not None and r.issue.severity == "error":
            raise PsigraphError(r.issue.message, where=f"{self.node_id}.{r.issue.path}")
        if not r.tone:
            return []
        self.state.told = r.what
        return [Event(self.t0, chain.TONE, {**r.tone, "source": list(r.ids) or "mood"})]
