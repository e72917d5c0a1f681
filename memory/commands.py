"""`psigraph replay` and `psigraph export`: a stored ψ-trajectory back through the same voice and face.

Both build graphs/replay.yaml — a ``replayer`` in place of text → planner → psi_core, then the
voice, face, Koopman monitor and surprise detector of graphs/speak.yaml under the same node ids
and the recorded graph seed — and add the sinks the flags ask for, as ``say`` does. Because the
recorder quantised the state in the loop, ``replay`` of a ``say --db`` writes the same WAV and
frames JSONL bytes as that ``say``. Replay runs as fast as possible into files, or paced at 1×
into an ``audio_sink`` with ``--live``; ``export`` renders WAV + frames + MP4/WebM per utterance
(or one clip of several), deterministically (fixed-dt replay: exporting twice gives identical files).
"""
from __future__ import annotations

import contextlib
import os
import sys
import time

VIDEO_EXT = (".mp4", ".m4v", ".mov", ".webm")
MIN_SIZE, MAX_SIZE = 16, 4096
BLOCK = 4800                       # the block say runs with


def default_replay_graph() -> str:
    """Path of the shipped default graph (graphs/replay.yaml)."""
    from psigraph.runtime.shipped import graph_path
    return graph_path("replay")


def register(sub) -> None:
    p = sub.add_parser("replay", help="replay a stored utterance into WAV / frames / video, or live",
                       description="Replay utterance ID of a ψ-memory STORE (psigraph say --db) through the "
                       "voice and face: the WAV and frames are byte-identical to what that say wrote.")
    p.add_argument("store", metavar="STORE", help="the store file")
    p.add_argument("id", metavar="ID", type=_uid, help="utterance id (psigraph memory list STORE)")
    p.add_argument("-o", "--output", metavar="OUT.wav", help="mono 16-bit WAV to write (required unless --live)")
    p.add_argument("--frames", metavar="F.jsonl", help="also write one JSON line per 60 Hz video frame")
    p.add_argument("--video", metavar="V.mp4|V.webm", help="also render the face and mux it with the audio")
    p.add_argument("--size", type=int, default=640, help=f"video size in pixels, {MIN_SIZE}-{MAX_SIZE} (default 640)")
    p.add_argument("--live", action="store_true", help="play it on the sound card at 1x (audio_sink)")
    p.add_argument("--device", default=None, help="sound device for --live")
    p.add_argument("--ahead", type=float, default=0.1, help="--live: seconds computed ahead of the device (default 0.1)")
    p.add_argument("--key-file", metavar="F", help="key of an encrypted store (default: $PSIGRAPH_DB_KEY)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary line")
    p.set_defaults(run=run_replay)

    e = sub.add_parser("export", help="render stored utterances to WAV + frames + MP4/WebM",
                       description="Render utterances of a ψ-memory STORE: into DIR (utterance-ID.wav, .jsonl and "
                       ".mp4 each), or one clip (.mp4/.webm) of them back to back. Deterministic: exporting "
                       "twice gives identical files.")
    e.add_argument("store", metavar="STORE", help="the store file")
    e.add_argument("ids", metavar="ID", type=_uid, nargs="+", help="utterance ids")
    e.add_argument("-o", "--output", required=True, metavar="DIR|clip.webm",
                   help="a folder (one set of files per utterance) or a .mp4/.webm clip")
    e.add_argument("--format", choices=("mp4", "webm"), default="mp4", help="video format in a folder (default mp4)")
    e.add_argument("--size", type=int, default=640, help=f"video size in pixels, {MIN_SIZE}-{MAX_SIZE} (default 640)")
    e.add_argument("--key-file", metavar="F", help="key of an encrypted store (default: $PSIGRAPH_DB_KEY)")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary line")
    e.set_defaults(run=run_export)


def _uid(text: str) -> int:
    import argparse
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an utterance id is a whole number (got {text!r})") from None
    if not 1 <= v < 2 ** 63:
        raise argparse.ArgumentTypeError(f"an utterance id is >= 1 (got {text})")
    return v


# ---------------------------------------------------------------- the graph
def _load_store_info(store_path: str, ids, key_file):
    """(utterances, signatures) for ``ids``; one clear error line for a missing store, key or id."""
    from psigraph.errors import PsigraphError
    from .nodes import _key_issues, open_store
    if not os.path.exists(store_path):
        raise PsigraphError(f"no store at {store_path!r}", where="STORE",
                            hint="record one with psigraph say TEXT -o out.wav --db STORE")
    if os.path.isdir(store_path):
        raise PsigraphError(f"{store_path!r} is a folder, not a store", where="STORE")
    issues = _key_issues(key_file or "")
    if issues:
        raise PsigraphError(issues[0].message, where="--key-file")
    store = open_store(store_path, key_file or "", create=False, notice=True)
    try:
        us, sigs = [], []
        for uid in ids:
            us.append(store.utterance(uid))
            try:
                sigs.append(store.signature(uid) or {})
            except PsigraphError:
                sigs.append({})
        return us, sigs
    finally:
        store.close()


def build_replay_graph(store_path: str, ids: list, *, key_file: str | None, output: str | None,
                       frames: str | None = None, video: str | None = None, size: int = 640,
                       live: bool = False, persona: str | None = None, seed: int | None = None):
    """graphs/replay.yaml set up for ``ids`` of ``store_path`` with the sinks asked for (not validated)."""
    import psigraph
    from psigraph import chain
    from psigraph.errors import PsigraphError
    from psigraph.runtime.graph_parts import (add_frames_sink, add_video, events_out, fresh_id, keep_only_what_feeds,
                                              one, parts, signal_out, wav_output)
    g = psigraph.load(default_replay_graph())
    if seed is not None:
        g.seed = int(seed)
    rep = next((n for n, spec in g.nodes.items() if spec.type == "replayer"), None)
    if rep is None:
        raise PsigraphError("the replay graph has no replayer node", where=g.source_file or "graph")
    g.set_param(rep, "path", store_path)
    g.set_param(rep, "key_file", key_file or "")
    g.set_param(rep, "id", int(ids[0]))
    if len(ids) > 1:
        g.set_param(rep, "ids", [int(i) for i in ids])
    found = parts(g)
    voice = one(found, chain.VOICE, g, "voice", like="graphs/replay.yaml")
    if persona:
        g.set_param(voice, "persona", persona)
    audio = signal_out(g, voice)
    wav = wav_output(g, found.get(chain.AUDIO_FILE, []), audio, output or None)
    sinks = [wav] if wav else []
    face = found.get(chain.FACE, [None])[0]
    events = found.get(chain.EVENTS, [None])[0]
    if (frames or video) and face is None:
        raise PsigraphError("--frames and --video need a face_animator in the graph", where=g.source_file or "graph")
    if frames:
        sinks.append(add_frames_sink(g, signal_out(g, face), frames, [events_out(g, events)] if events else [],
                                     persona))
    if video:
        sinks.append(add_video(g, signal_out(g, face), audio, video, size, persona))
    if live:
        nid = fresh_id(g, "speaker")
        g.add_node(nid, "audio_sink", {})
        g.connect(audio, f"{nid}.x")
        sinks.append(nid)
    if not sinks:
        raise PsigraphError("nothing to write: give -o OUT.wav (or --live)")
    keep_only_what_feeds(g, sinks)
    return g


def _check_outputs(paths: list, size: int, video: bool) -> None:
    from psigraph.errors import PsigraphError
    if video and not MIN_SIZE <= size <= MAX_SIZE:
        raise PsigraphError(f"--size must be {MIN_SIZE}..{MAX_SIZE} pixels (got {size})")
    if video and size % 2:
        raise PsigraphError(f"--size must be even for video (got {size})")
    paths = [p for p in paths if p]
    if len({os.path.abspath(p) for p in paths}) != len(paths):
        raise PsigraphError("the output files must be different files")
    if video:
        import importlib.util
        missing = [m for m in ("vispy", "av") if importlib.util.find_spec(m) is None]
        if missing:
            raise PsigraphError(f"video needs {' and '.join(missing)}, which is not installed",
                                hint="pip install 'psigraph[export]'")


def _run_graph(g, progress=None) -> float:
    """Run a replay graph to its end as fast as possible; returns seconds of audio made."""
    from psigraph.runtime import Session
    with Session(g, block=BLOCK) as s:
        rep = next(x.node for x in s.slots.values() if type(x.node).type_id == "replayer")
        total = max(rep.end() or 0, 1)
        for _ in s.until_done(max_duration=None):
            if progress is not None:
                progress(s.now / total, s.now / s.master_rate)
        return s.now / s.master_rate


# ---------------------------------------------------------------- replay
def run_replay(args) -> int:
    from psigraph.errors import PsigraphError
    from psigraph.progress import ProgressBar
    from psigraph.runtime.say import validate
    if not 0 < args.ahead <= 10:
        raise PsigraphError(f"--ahead must be > 0 and at most 10 s (got {args.ahead})")
    if not args.output and not args.live:
        raise PsigraphError("give -o OUT.wav (and/or --frames, --video), or --live to play it")
    if (args.frames or args.video) and not args.output and not args.live:
        raise PsigraphError("--frames and --video go with -o OUT.wav")
    outs = [args.output, args.frames, args.video, args.store]
    _check_outputs(outs, args.size, bool(args.video))
    t0 = time.perf_counter()
    (u,), (sig,) = _load_store_info(args.store, [args.id], args.key_file)
    rep = sig.get("replay", {}) if isinstance(sig, dict) else {}
    g = build_replay_graph(args.store, [args.id], key_file=args.key_file, output=args.output, frames=args.frames,
                           video=args.video, size=args.size, live=args.live, persona=u.persona,
                           seed=rep.get("seed"))
    for w in validate(g):
        print(f"warning: {w.message}", file=sys.stderr)
    if args.live:
        return _play_live(g, args)
    bar = ProgressBar(sys.stderr.isatty() and not args.quiet, delay_s=2.0)
    t_ready = time.perf_counter()
    try:
        seconds = _run_graph(g, lambda f, spoken: bar.update(f, f"{spoken:7.1f} s spoken"))
    finally:
        bar.done()
    if not args.quiet:
        wall = time.perf_counter() - t_ready
        outs = ", ".join(p for p in (args.output, args.frames, args.video) if p)
        print(f"{outs}: utterance {args.id}, {seconds:.2f} s in {wall:.2f} s (start-up {t_ready - t0:.2f} s)",
              file=sys.stderr)
    return 0


def _play_live(g, args) -> int:
    from psigraph.runtime import Session
    from psigraph.runtime.realtime import RealtimeRunner, open_output_stream
    stream = open_output_stream()
    if args.device is not None:
        for nid, spec in g.nodes.items():
            if spec.type == "audio_sink":
                g.set_param(nid, "device", str(args.device))
    with Session(g, block=480) as s:
        runner = RealtimeRunner(s, ahead_s=args.ahead)
        stats = runner.play(0.0, device=args.device, until_done=True, stream=stream)
    if not args.quiet:
        print(f"played utterance {args.id}: {stats['graph_time_s']:.2f} s; under-runs: {stats['underruns']}",
              file=sys.stderr)
    return 0


# ---------------------------------------------------------------- export
def export_plan(store: str, ids: list, output: str, fmt: str = "mp4") -> list:
    """[(ids, wav, jsonl, video)] jobs: one per utterance into a folder, or one clip of all of them."""
    if os.path.splitext(output)[1].lower() in VIDEO_EXT:
        return [(list(ids), None, None, output)]
    return [([i], os.path.join(output, f"utterance-{i}.wav"), os.path.join(output, f"utterance-{i}.jsonl"),
             os.path.join(output, f"utterance-{i}.{fmt}")) for i in ids]


def export(store: str, ids: list, output: str, *, fmt: str = "mp4", size: int = 640, key_file: str | None = None,
           progress: bool = False) -> list:
    """Render ``ids`` of ``store`` (Python API of ``psigraph export``); returns the files written."""
    from psigraph.errors import PsigraphError
    from psigraph.progress import ProgressBar
    from psigraph.runtime.say import validate
    ids = list(ids)
    if not ids:
        raise PsigraphError("give at least one utterance id")
    if os.path.exists(output) and not os.path.isdir(output) and os.path.splitext(output)[1].lower() not in VIDEO_EXT:
        raise PsigraphError(f"{output!r} is a file: -o takes a folder or a .mp4/.webm clip", where="-o")
    _check_outputs([output, store], size, True)
    us, sigs = _load_store_info(store, ids, key_file)
    jobs = export_plan(store, ids, output, fmt)
    first = {u.id: (u, s) for u, s in zip(us, sigs)}
    if len(jobs) == 1 and len(ids) > 1:
        labels = {tuple(u.labels) for u in us}
        if len(labels) > 1:
            raise PsigraphError("these utterances were recorded with different channels; export them to a folder",
                                where="ID")
    durations = [sum(first[i][0].duration_ms for i in job[0]) for job in jobs]
    total = max(sum(durations), 1)
    bar = ProgressBar(progress, delay_s=2.0)
    done_ms = 0
    written = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(_bitexact_muxing())
        stack.callback(bar.done)
        for job, dur in zip(jobs, durations):
            u, sig = first[job[0][0]]
            rep = sig.get("replay", {}) if isinstance(sig, dict) else {}
            g = build_replay_graph(store, job[0], key_file=key_file, output=job[1], frames=job[2], video=job[3],
                                   size=size, persona=u.persona, seed=rep.get("seed"))
            validate(g)
            base = done_ms
            _run_graph(g, lambda f, s, base=base, dur=dur: bar.update(
                (base + f * dur) / total, f"{(base + f * dur) / 1000.0:7.1f} s spoken"))
            done_ms += dur
            written += [p for p in job[1:] if p]
    return written


@contextlib.contextmanager
def _bitexact_muxing():
    """Containers opened for writing get ``fflags=+bitexact`` (no random Matroska track UIDs, no
    wall-clock dates), so an export is byte-for-byte repeatable also as WebM. The video writer
    (nodes/face/video.py) opens the container itself, so the option is added around it here."""
    try:
        import av
    except ImportError:
        yield
        return
    orig = av.open

    def open_bitexact(file, mode="r", *a, **kw):
        if mode == "w":
            opts = dict(kw.get("options") or {})
            opts.setdefault("fflags", "+bitexact")
            kw["options"] = opts
        return orig(file, mode, *a, **kw)

    av.open = open_bitexact
    try:
        yield
    finally:
        av.open = orig


def run_export(args) -> int:
    t0 = time.perf_counter()
    files = export(args.store, args.ids, args.output, fmt=args.format, size=args.size, key_file=args.key_file,
                   progress=sys.stderr.isatty() and not args.quiet)
    if not args.quiet:
        print(f"{len(files)} file{'s' * (len(files) != 1)} in {time.perf_counter() - t0:.2f} s: "
              f"{', '.join(files[:4])}{' …' if len(files) > 4 else ''}", file=sys.stderr)
    return 0
