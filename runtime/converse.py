"""`psigraph converse IN.wav "reply text" -o OUT.mp4`: listen to a speaker, then reply in kind.

Three steps (docs/LISTENING_REPLY.md):

1. **Listen.** The input is measured with the numbers the ψ-memory recorder uses for the avatar's
   own speech (:func:`heard_prosody`: psigraph.kernels.prosody on a pitch track, a voicing track and
   a sounding track of the audio, with syllable nuclei counted on the 300–2500 Hz envelope), and,
   when the listening graph is installed (graphs/listen.yaml: audio_source → listener → ψ-core →
   Koopman monitor → surprise detector), run through it for its events: surprises, syllable onsets,
   phrase boundaries, predicted turn ends (:func:`listening_events`).
2. **Decide how to reply** (nodes/speech/tone.py, :func:`~psigraph.nodes.speech.tone.reply_tone`):
   the reply's speaking rate and pitch range move toward the speaker's (cross-speaker entrainment);
   repeated surprise while listening makes it slower with larger mouth movements (adaptive
   comprehension). The result is a ``tone`` event (psigraph.chain.TONE) for the planner.
3. **Play the conversation** on the speak graph: the input audio plays from t = 0 while the face
   reacts to the listening events (brow raises, frowns, nods, gaze on the speaker's syllables); the
   reply text and its tone reach the planner ``gap`` seconds after the speaker's last sound. Video, WAV, face
   frames and events are written through the graph's sinks, published only when all succeeded.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
import time

import numpy as np

from psigraph import chain
from psigraph.errors import PsigraphError

from .graph_parts import events_out, fresh_id, parts, signal_out

#: listening events the face reacts to (and that --events writes)
HEARD_KINDS = (chain.SURPRISE, chain.SYLLABLE_ONSET, chain.PHRASE_BOUNDARY, chain.TURN_END_PREDICTED)
GAP_S = 0.4                         # from the speaker's last sound to the reply's text
WORKING_MEMORY = "working_memory"   # the node type that keeps the slow oscillator (psigraph.memory.working)
WORKING_SPAN_S = 10.0               # surprises count as repeated within this span (the working memory's)
ANALYSIS_HZ = 8000                  # pitch and envelopes are measured on the audio resampled to this
TICK_HZ = 200                       # one measurement per 5 ms (the control rate of the speak graph)
F0_RANGE_HZ = (60.0, 400.0)
YIN_WINDOW = 240                    # 30 ms at 8 kHz
YIN_THRESHOLD = 0.2                 # a dip of the normalised difference below this is a period
VOICED_DIP = 0.3                    # … and the frame is voiced when its best dip is below this
SOUNDING_DB = 35.0                  # a frame within this of the loudest is sounding
NUCLEUS_BAND_HZ = (300.0, 2500.0)   # vowel nuclei dominate this band
NUCLEUS_PROMINENCE_DB = 3.0         # a syllable nucleus stands out this much from the dips around it
NUCLEUS_MIN_GAP_S = 0.07            # two nuclei are at least this far apart (≤ 14 syllables/s)


# ---------------------------------------------------------------- measuring the speaker
def read_audio(path: str, rate: int) -> np.ndarray:
    """Mono float64 samples of a sound file resampled to ``rate`` Hz; a PsigraphError line if unreadable."""
    from psigraph.nodes.listen.audio_io import resample
    try:
        try:
            import soundfile as sf
            data, sr = sf.read(path, dtype="float64", always_2d=True)
        except ImportError:
            import wave
            with wave.open(path, "rb") as w:
                sr, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
                raw = w.readframes(w.getnframes())
            if width != 2:
                raise ValueError("only 16-bit WAV without the soundfile package") from None
            data = np.frombuffer(raw, dtype="<i2").reshape(-1, ch) / 32768.0
    except (OSError, RuntimeError, ValueError, EOFError) as e:
        raise PsigraphError(f"cannot read the input audio {path!r}: {e}", where="IN",
                            hint="give a WAV or FLAC file (any rate, mono or stereo)") from None
    if len(data) == 0:
        raise PsigraphError(f"the input audio {path!r} is empty", where="IN", hint="give a recording of speech")
    x = resample(data.mean(axis=1), float(sr), float(rate))
    return np.ascontiguousarray(x, dtype=np.float64)


def _frames(x: np.ndarray, hop: int, width: int) -> np.ndarray:
    """(ticks, width) frames starting at every ``hop`` samples (zero-padded at the end)."""
    n = len(x) // hop
    pad = np.concatenate([x, np.zeros(width)])
    idx = np.arange(n)[:, None] * hop + np.arange(width)[None, :]
    return pad[idx]


def pitch_track(x8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f0 Hz, best dip) per 5 ms tick of 8 kHz audio: YIN's cumulative-mean-normalised difference
    (de Cheveigné & Kawahara 2002) over a 30 ms window, the first dip below :data:`YIN_THRESHOLD`
    (else the deepest) refined by parabolic interpolation."""
    hop = ANALYSIS_HZ // TICK_HZ
    lo, hi = int(ANALYSIS_HZ / F0_RANGE_HZ[1]), int(math.ceil(ANALYSIS_HZ / F0_RANGE_HZ[0]))
    seg = _frames(x8, hop, YIN_WINDOW + hi + 1)
    nfft = 1 << int(math.ceil(math.log2(seg.shape[1] + YIN_WINDOW)))
    a = np.fft.rfft(seg, nfft)
    b = np.fft.rfft(seg[:, :YIN_WINDOW], nfft)
    r = np.fft.irfft(a * np.conj(b), nfft)[:, :hi + 1]                  # r(τ) = Σ_j s[j] s[j+τ]
    sq = np.concatenate([np.zeros((len(seg), 1)), np.cumsum(seg ** 2, axis=1)], axis=1)
    taus = np.arange(hi + 1)
    e_tau = sq[:, taus + YIN_WINDOW] - sq[:, taus]                       # Σ_j s[j+τ]²
    d = e_tau[:, :1] + e_tau - 2.0 * r
    d[:, 0] = 0.0
    cum = np.cumsum(d[:, 1:], axis=1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(cum, 1e-12)
    f0 = np.zeros(len(seg))
    dip = np.ones(len(seg))
    band = cmnd[:, lo:hi + 1]
    below = band < YIN_THRESHOLD
    local_min = np.ones_like(below)
    local_min[:, :-1] = band[:, :-1] <= band[:, 1:]
    first = np.where((below & local_min).any(axis=1), np.argmax(below & local_min, axis=1), np.argmin(band, axis=1))
    for i, j in enumerate(first):
        k = j + lo
        dip[i] = cmnd[i, k]
        if 1 <= k < hi:
            y0, y1, y2 = cmnd[i, k - 1], cmnd[i, k], cmnd[i, k + 1]
            den = y0 - 2 * y1 + y2
            k = k + (0.5 * (y0 - y2) / den if den > 1e-12 else 0.0)
        f0[i] = ANALYSIS_HZ / k
    return f0, dip


def _level_db(x: np.ndarray, hop: int, width: int) -> np.ndarray:
    return 10.0 * np.log10(np.mean(_frames(x, hop, width) ** 2, axis=1) + 1e-12)


def syllable_nuclei(x8: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """Ticks of syllable nuclei: peaks of the smoothed 300–2500 Hz level at least
    :data:`NUCLEUS_PROMINENCE_DB` above the dips around them, on voiced ticks."""
    from scipy.signal import butter, find_peaks, sosfiltfilt
    sos = butter(4, NUCLEUS_BAND_HZ, btype="band", fs=ANALYSIS_HZ, output="sos")
    hop = ANALYSIS_HZ // TICK_HZ
    level = _level_db(sosfiltfilt(sos, x8), hop, 2 * hop)
    smooth = np.convolve(level, np.hanning(7) / np.hanning(7).sum(), mode="same")   # ≈ 15 ms
    peaks, _ = find_peaks(smooth, prominence=NUCLEUS_PROMINENCE_DB,
                          distance=max(1, int(NUCLEUS_MIN_GAP_S * TICK_HZ)))
    keep = smooth[peaks] > smooth.max() - SOUNDING_DB
    return np.array([p for p, k in zip(peaks, keep) if k and voiced[max(0, p - 4):p + 5].any()], dtype=np.int64)


def heard_prosody(audio: np.ndarray, rate: int) -> dict:
    """How the speaker said it, in the recorder's numbers (psigraph.kernels.prosody.prosody_stats):
    ``f0_level_hz``, ``f0_range_st``, ``rate_sps`` (syllable nuclei per second of speaking time),
    ``pauses``, ``voiced_s``, plus ``syllables``, ``duration_s`` and ``speech_end_s`` (the end of the last
    sounding tick)."""
    from psigraph.kernels.prosody import prosody_stats
    from psigraph.nodes.listen.audio_io import resample
    x8 = resample(np.asarray(audio, dtype=np.float64), float(rate), float(ANALYSIS_HZ))
    f0, dip = pitch_track(x8)
    level = _level_db(x8, ANALYSIS_HZ // TICK_HZ, YIN_WINDOW)[:len(f0)]
    sounding = level > max(level.max() - SOUNDING_DB, -70.0)
    voiced = sounding & (dip < VOICED_DIP)
    nuclei = syllable_nuclei(x8, voiced)
    stats = prosody_stats(np.where(voiced, f0, 0.0), voiced.astype(float), sounding.astype(float),
                          len(nuclei), TICK_HZ)
    on = np.flatnonzero(sounding)
    return {**stats, "syllables": int(len(nuclei)), "duration_s": len(audio) / float(rate),
            "speech_end_s": float((on[-1] + 1) / TICK_HZ) if len(on) else 0.0}


# ---------------------------------------------------------------- listening
def listening_events(path: str, seed: int | None = None, graph: str | None = None) -> list | None:
    """The events of the listening graph (graphs/listen.yaml or ``graph``) run on the sound file ``path``:
    ``[Event]`` of the kinds :data:`HEARD_KINDS`, time-sorted; None when no listening graph is installed
    (the face then shows no reactions; the reply is still entrained on the measured speaker)."""
    import psigraph
    from psigraph import registry
    from psigraph.ports import Events
    from psigraph.runtime import Session
    from psigraph.runtime.shipped import graph_path
    src = graph or graph_path("listen")
    if not os.path.exists(src) or not registry.has("audio_source") or not registry.has("listener"):
        if graph:
            raise PsigraphError(f"cannot use the listening graph {graph!r}: it or the listening nodes are missing",
                                where="--listen-graph", hint="pip install -e . (psigraph.nodes.listen)")
        return None
    g = psigraph.load(src)
    found = parts(g)
    sources = found.get(chain.AUDIO_SOURCE, [])
    if len(sources) != 1:
        raise PsigraphError(f"the listening graph needs exactly one audio_source (found {len(sources)})", where=src)
    g.set_param(sources[0], "path", os.path.abspath(path))
    for nid in list(g.nodes):                        # no files, no sound card: only the events are wanted
        cls = g.node_class(nid)
        writes = any(f.name == "path" for f in cls.Params.fields()) or cls.ROLE == chain.AUDIO_DEVICE
        if nid != sources[0] and writes:
            g.remove_node(nid)
    refs = [f"{nid}.{port}" for nid in g.nodes for port, decl in g.node_class(nid).outputs().items()
            if decl.kind is Events]
    with Session(g, block=4800, seed=seed) as s:
        taps = [s.tap(r) for r in refs]
        s.run_until_done(max_duration=None)
    seen, out = set(), []
    for tap in taps:
        for e in tap.data:
            key = (e.t, e.kind)
            if e.kind in HEARD_KINDS and key not in seen:
                seen.add(key)
                out.append(e)
    return sorted(out, key=lambda e: e.t)


def most_within(times, span_s: float) -> int:
    """The largest number of ``times`` (seconds) inside any window of ``span_s`` seconds."""
    t = sorted(times)
    best, j = 0, 0
    for i in range(len(t)):
        while t[i] - t[j] > span_s:
            j += 1
        best = max(best, i - j + 1)
    return best


# ---------------------------------------------------------------- the conversation
@dataclasses.dataclass(frozen=True)
class ConverseOptions:
    """One conversation: the input recording, the reply, how to adapt, and the outputs (any may be None;
    ``frames`` is needed to measure the face)."""
    audio: str
    reply: str
    video: str | None = None
    wav: str | None = None
    frames: str | None = None
    events: str | None = None
    size: int = 640
    persona: str = "default"
    seed: int | None = None
    gap_s: float = GAP_S
    entrain: bool = True
    adapt: bool = True
    heard_events: tuple | None = None         # listening events to use instead of running the listening graph
    listen_graph: str | None = None
    render_workers: int | None = None
    db: str | None = None                     # ψ-memory store for the working memory's snapshots
    key_file: str | None = None


@dataclasses.dataclass
class ConverseResult:
    heard: dict                  # the speaker's prosody (heard_prosody)
    surprises: int               # the most surprise events within WORKING_SPAN_S while listening
    tone: dict                   # the reply's tone event payload
    reply: dict                  # the reply's prosody as the recorder measures it, + "jaw_open" (mean jawOpen)
    reply_start_s: float
    seconds: float               # length of the conversation
    reactions: list              # (seconds, what) the face showed
    listened: bool               # False when no listening graph was available


def plain_prosody(text: str, persona: str = "default", master_rate: int = 24000, period: int = 120) -> dict:
    """What the recorder would measure on ``text`` said plainly by ``persona`` (its first sentences, as the
    planner's tone fit sees them)."""
    from psigraph.nodes.speech.frontend.plan import iter_plans
    from psigraph.nodes.speech.tone import FIT_WORDS, predict
    plan = next(iter_plans(text, persona=persona, max_words=FIT_WORDS, first_alone=False))
    return predict(plan, master_rate, period)


def _event_source(g, base: str, events: list) -> str:
    nid = fresh_id(g, base)
    g.add_node(nid, "event_source", {"events": events})
    return nid


def build_conversation(opts: ConverseOptions, heard_events: list, tone: dict, t_reply: float):
    """The speak graph playing the conversation: the input audio and the listening reactions from t = 0,
    the reply text and tone at ``t_reply`` seconds (not validated yet)."""
    from psigraph import registry
    from psigraph.runtime.say import SayOptions, build_say_graph
    g = build_say_graph(SayOptions(text="", output=opts.wav, frames=opts.frames, video=opts.video, size=opts.size,
                                   persona=opts.persona, seed=opts.seed, render_workers=opts.render_workers))
    found = parts(g)
    planner, voice = found[chain.PROSODY][0], found[chain.VOICE][0]
    face = found.get(chain.FACE, [None])[0]
    # the input plays into the same outputs as the voice
    voice_out = signal_out(g, voice)
    listeners = [e for e in g.edges_from(voice, voice_out.split(".")[1])]
    if listeners:
        if registry.has("audio_source"):
            g.add_node("heard_audio", "audio_source", {"path": os.path.abspath(opts.audio)})
        else:
            rate = g.timebase.rate(chain.AUDIO) if hasattr(g, "timebase") else 24000
            g.add_node("heard_audio", "vector_source", {"data": read_audio(opts.audio, int(rate)).tolist(),
                                                        "rate": chain.AUDIO})
        g.add_node("mix", "add")
        g.connect(voice_out, "mix.a")
        g.connect("heard_audio.audio" if registry.has("audio_source") else "heard_audio.y", "mix.b")
        for e in listeners:
            g.disconnect(voice_out, f"{e.dst}.{e.dst_port}")
            g.connect("mix.y", f"{e.dst}.{e.dst_port}")
    if opts.db:
        _add_working_memory(g, opts, found)
    at = round(float(t_reply), 6)
    g.connect(f"{_event_source(g, 'reply_text', [{'t': at, 'kind': 'text', 'payload': {'text': opts.reply}}])}.y",
              f"{planner}.text")
    if tone:
        g.connect(f"{_event_source(g, 'reply_tone', [{'t': at, 'kind': chain.TONE, 'payload': tone}])}.y",
                  f"{planner}.tone")
    heard = [{"t": e.t / g.master_rate, "kind": e.kind, "payload": e.payload} for e in heard_events]
    if heard:
        src = _event_source(g, "heard", heard)
        for nid in [face] + (["working"] if "working" in g.nodes else []):
            if nid:
                g.connect(f"{src}.y", f"{nid}.events")
    if opts.events:
        g.add_node("events", "events_sink", {"path": opts.events})
        for nid in found.get(chain.EVENTS, []):
            g.connect(events_out(g, nid), "events.x")
    # the heard events and the face's reactions also go where the speak chain's events go
    for dst in (["events.x"] if opts.events else []) + \
            [f"{n}.events" for n in g.nodes if g.nodes[n].type == "frames_sink"]:
        if heard:
            g.connect("heard.y", dst)
        if face:
            g.connect(f"{face}.reactions", dst)
    return g


def _add_working_memory(g, opts: ConverseOptions, found: dict) -> None:
    """The slow psi_core role and a working_memory node storing it (and the heard events) in ``opts.db``
    (found by type id: runtime imports no memory code)."""
    from psigraph import registry
    if not registry.has(WORKING_MEMORY):
        raise PsigraphError("--db needs the working_memory node (psigraph.memory)", where="--db",
                            hint="pip install -e . to register it")
    cls = registry.get(WORKING_MEMORY)
    core = next(e.dst for e in g.edges_from(found[chain.PROSODY][0], "score"))
    roles = [dict(r) for r in g.nodes[core].params.get("roles", [])]
    if not any(r.get("name") == cls.CORE_ROLE["name"] for r in roles):
        g.set_param(core, "roles", roles + [dict(cls.CORE_ROLE)])
    g.add_node("working", WORKING_MEMORY, {"path": opts.db, "key_file": opts.key_file or "",
                                           "persona": opts.persona})
    g.connect(f"{core}.state", "working.state")


def _reply_measures(rows: np.ndarray, labels, start_tick: int, syllables: int, blend: np.ndarray,
                    frames_per_tick: float, control_hz: float) -> dict:
    """The reply's prosody (psigraph.kernels.prosody on the ψ-state rows from ``start_tick``) and its mean
    jawOpen over the frames of its speech span (first to last sounding tick)."""
    from psigraph.kernels.prosody import AUDIBLE, SOURCES, prosody_stats
    from psigraph.nodes.face.arkit import INDEX
    ix = {lab: i for i, lab in enumerate(labels)}
    r = rows[start_tick:]
    src = np.max([r[:, ix[c]] for c in SOURCES], axis=0)
    out = prosody_stats(r[:, ix["f0"]], r[:, ix["AV"]], src, syllables, control_hz)
    on = np.flatnonzero(src > AUDIBLE)
    if len(on) and len(blend):
        f0, f1 = int((start_tick + on[0]) * frames_per_tick), int((start_tick + on[-1] + 1) * frames_per_tick)
        out["jaw_open"] = float(np.mean(blend[f0:f1, INDEX["jawOpen"]]))
    else:
        out["jaw_open"] = 0.0
    out["speech_s"] = float((on[-1] - on[0] + 1) / control_hz) if len(on) else 0.0
    return out


def converse(opts: ConverseOptions, warn=None) -> ConverseResult:
    """Listen to ``opts.audio``, decide the reply's tone, and play the conversation (module docstring)."""
    from psigraph.nodes.speech.tone import reply_tone
    from psigraph.runtime import Session
    from psigraph.runtime.say import validate
    master = 24000
    audio = read_audio(opts.audio, master)
    heard = heard_prosody(audio, master)
    if opts.heard_events is not None:
        events, listened = list(opts.heard_events), True
    else:
        events = listening_events(opts.audio, opts.seed, opts.listen_graph)
        listened = events is not None
        events = events or []
    surprises = most_within([e.t / master for e in events if e.kind == chain.SURPRISE], WORKING_SPAN_S)
    tone = reply_tone(plain_prosody(opts.reply, opts.persona), heard if opts.entrain else None,
                      surprises if opts.adapt else 0)
    t_reply = heard["speech_end_s"] + opts.gap_s                 # the turn ends with the speaker's last sound
    g = build_conversation(opts, events, tone, t_reply)
    for w in validate(g):
        if warn:
            warn(w)
    found_face = [n for n in g.nodes if g.nodes[n].type == "face_animator"]
    planner = next(n for n in g.nodes if g.nodes[n].type == "prosody_planner")
    core = next(e.dst for e in g.edges_from(planner, "score"))
    with Session(g, block=4800, seed=opts.seed) as s:
        st_tap = s.tap(f"{core}.state")
        score_tap = s.tap(f"{planner}.score")
        face_tap = s.tap(f"{found_face[0]}.blendshapes") if found_face else None
        react_tap = s.tap(f"{found_face[0]}.reactions") if found_face else None
        s.run_until_done(max_duration=None)
        seconds = s.now / s.master_rate
        spec = s.node(core).out_specs["state"]
        control_hz = float(spec.rate_hz)
        rows = np.asarray(st_tap.data)
        blend = np.asarray(face_tap.data) if face_tap is not None else np.zeros((0, 1))
        video_hz = float(s.node(found_face[0]).out_specs["blendshapes"].rate_hz) if found_face else control_hz
        start_tick = int(round(t_reply * control_hz))
        syllables = sum(1 for e in score_tap.data if e.kind == chain.SYLLABLE_EVENT)
        reply = _reply_measures(rows, spec.labels, start_tick, syllables, blend, video_hz / control_hz, control_hz)
        reactions = [(e.t / s.master_rate, e.payload["what"]) for e in (react_tap.data if react_tap else [])]
    return ConverseResult(heard, surprises, tone, reply, t_reply, seconds, reactions, listened)


# ---------------------------------------------------------------- command line
def register(sub) -> None:
    p = sub.add_parser("converse", help="listen to a recording, then reply (entrained, adapted) in a video",
                       description="Listen to IN (WAV/FLAC), reacting on the face while the speaker talks, then "
                       "say TEXT with the speaker's rate and pitch range partly taken over, slower and more "
                       "clearly articulated after repeated surprises. Outputs replace earlier files only when "
                       "everything succeeded.")
    p.add_argument("audio", metavar="IN.wav", help="what the avatar hears")
    p.add_argument("reply", metavar="TEXT", help="what it answers (use quotes)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.mp4|OUT.webm",
                   help="the conversation: the face listening and replying, with both voices")
    p.add_argument("--wav", metavar="OUT.wav", help="also write the conversation's audio")
    p.add_argument("--frames", metavar="F.jsonl", help="also write the face frames (JSON lines)")
    p.add_argument("--events", metavar="E.jsonl", help="also write the listening events and the face's reactions")
    p.add_argument("--size", type=int, default=640, help="video width and height in pixels (default 640)")
    p.add_argument("--persona", default="default", help="persona name or YAML file")
    p.add_argument("--gap", type=float, default=GAP_S, metavar="S",
                   help=f"seconds from the speaker's last sound to the reply (default {GAP_S})")
    p.add_argument("--no-entrain", dest="entrain", action="store_false",
                   help="reply at the persona's own rate and pitch range")
    p.add_argument("--no-adapt", dest="adapt", action="store_false",
                   help="do not slow down and articulate more after repeated surprises")
    p.add_argument("--listen-graph", metavar="G.yaml", help="listening graph (default graphs/listen.yaml)")
    p.add_argument("--db", metavar="STORE", help="keep the working memory (the last seconds heard, every 2 s, "
                   "pruned after 60 s) in this ψ-memory store")
    p.add_argument("--key-file", metavar="F", help="key of the --db store (default: $PSIGRAPH_DB_KEY)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the graph's)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.set_defaults(run=run)


def check(opts: ConverseOptions) -> None:
    """Checks that need no graph, before anything is opened."""
    from psigraph.runtime.say import SayOptions, check_options
    if not os.path.isfile(opts.audio):
        raise PsigraphError(f"the input audio {opts.audio!r} does not exist", where="IN",
                            hint="give a WAV or FLAC recording of speech")
    if not opts.reply.strip():
        raise PsigraphError("nothing to reply: the text is empty", where="TEXT", hint="give at least one word")
    if not 0.0 <= opts.gap_s <= 10.0:
        raise PsigraphError(f"--gap must be 0..10 seconds (got {opts.gap_s})")
    outs = [p for p in (opts.video, opts.wav, opts.frames, opts.events) if p]
    if len({os.path.abspath(p) for p in outs}) != len(outs):
        raise PsigraphError("-o, --wav, --frames and --events must be different files")
    if opts.db and os.path.abspath(opts.db) in {os.path.abspath(p) for p in outs + [opts.audio]}:
        raise PsigraphError("--db must be a different file from the input and the outputs")
    if opts.key_file and not opts.db:
        raise PsigraphError("--key-file needs --db STORE")
    if os.path.abspath(opts.audio) in {os.path.abspath(p) for p in outs}:
        raise PsigraphError("the outputs must not overwrite the input audio", where="IN")
    check_options(SayOptions(text=opts.reply, output=opts.wav, frames=opts.frames, video=opts.video, size=opts.size))


def run(args) -> int:
    opts = ConverseOptions(audio=args.audio, reply=args.reply, video=args.output, wav=args.wav, frames=args.frames,
                           events=args.events, size=args.size, persona=args.persona, seed=args.seed,
                           gap_s=float(args.gap), entrain=args.entrain, adapt=args.adapt,
                           listen_graph=args.listen_graph, db=args.db, key_file=args.key_file)
    check(opts)
    t0 = time.perf_counter()

    def warn(w):
        if w.severity == "warning" or not args.quiet:
            print(f"{w.severity}: {w.message}", file=sys.stderr)

    res = converse(opts, warn)
    if not res.listened:
        print("notice: no listening graph (graphs/listen.yaml) installed: the face does not react; the reply "
              "is still entrained", file=sys.stderr)
    if not args.quiet:
        h, r = res.heard, res.reply
        print(f"heard {h['rate_sps']:.2f} syll/s, pitch range {h['f0_range_st']:.1f} st, {res.surprises} "
              f"surprise(s), {len(res.reactions)} reaction(s) → replied at {r['rate_sps']:.2f} syll/s, range "
              f"{r['f0_range_st']:.1f} st, articulation {res.tone.get('articulation', 1.0):.2f}; "
              f"{res.seconds:.1f} s in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
