"""`psigraph say`: text → speech WAV (+ face frames JSONL, + MP4/WebM) on the default graph.

The command loads graphs/speak.yaml (or --graph), finds the nodes it drives by
what they are in the chain (``Node.ROLE``, see :mod:`psigraph.chain`), sets the
text, emotion and persona, adds the sinks the flags ask for through ordinary
graph commands, validates everything before any output is opened, and runs the
graph until the text has been spoken. Outputs are written progressively under
temporary names and published together only when the whole command succeeded.

The same steps are a public API for other front-ends (server, batch)::

    opts = SayOptions(text="Hello.", output="hello.wav", frames="hello.jsonl")
    result = say(opts)                      # or build_say_graph(opts) to run it yourself

:func:`say_options` is the one place that turns command-line arguments into a
:class:`SayOptions`.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable

from psigraph import chain
from psigraph.errors import GraphFileError, Issue, PsigraphError
from psigraph.progress import ProgressBar

from .graph_parts import (add_frames_sink, add_video, events_out, fresh_id, keep_only_what_feeds, one, parts,
                          signal_out, wav_output)

#: the ψ-memory recorder (psigraph.memory.nodes), found by type id and part: runtime imports no memory code
RECORDER = "recorder"
#: the emotional memory (psigraph.memory.tone): stored tones and moods → the planner's tone input
MEMORY = "psi_memory"
MAX_LIKE = 2
EMOTIONS = ("neutral", "happy", "sad", "angry", "calm", "excited", "surprised")
MIN_SIZE, MAX_SIZE = 16, 4096
MAX_TEXT_BYTES = 16 * 1024 * 1024

#: which say flag sets which (node part, param): used to name flags in error lines
FLAGS = {(chain.PROSODY, "emotion"): "--emotion", (chain.PROSODY, "persona"): "--persona",
         (chain.VOICE, "persona"): "--persona", (chain.PROSODY, "rate"): "--rate",
         (chain.TEXT_INPUT, "text"): "", (chain.AUDIO_FILE, "path"): "-o",
         (chain.FRAMES_FILE, "path"): "--frames", (chain.VIDEO_FILE, "path"): "--video",
         (RECORDER, "path"): "--db", (RECORDER, "key_file"): "--key-file",
         (MEMORY, "path"): "--db", (MEMORY, "key_file"): "--key-file", (MEMORY, "like"): "--like",
         (MEMORY, "like_text"): "--like-text", (MEMORY, "mix"): "--mix"}


def default_graph_path() -> str:
    """Path of the shipped default graph (graphs/speak.yaml)."""
    from psigraph.runtime.shipped import graph_path
    return graph_path("speak")


def register(sub) -> None:
    p = sub.add_parser("say", help="speak English text to a WAV file (and face frames / video)",
                       description="Synthesize English TEXT with the default graph (graphs/speak.yaml). "
                       "psigraph speaks English: it warns once about text it cannot read. Outputs are "
                       "written to temporary files and replace earlier files only when everything succeeded.")
    p.add_argument("text", nargs="?", help="what to say (use quotes); '-' reads standard input")
    p.add_argument("--text-file", metavar="PATH", help="read the text from a UTF-8 file ('-' = standard input)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav", help="mono 16-bit WAV to write")
    p.add_argument("--emotion", default="auto",
                   help=f"{'|'.join(EMOTIONS)}, 'auto' (from the text) or a V,A,D triple such as 0.6,0.4,0.1")
    p.add_argument("--persona", default="default", help="persona name or YAML file")
    p.add_argument("--rate", type=float, default=1.0, help="speaking-rate factor (default 1.0)")
    p.add_argument("--frames", metavar="F.jsonl", help="also write one JSON line per 60 Hz video frame")
    p.add_argument("--video", metavar="V.mp4|V.webm", help="also render the face and mux it with the audio")
    p.add_argument("--size", type=int, default=640,
                   help=f"video width and height in pixels, {MIN_SIZE}-{MAX_SIZE} (default 640)")
    p.add_argument("--graph", default=None, help="graph file to use instead of graphs/speak.yaml")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the graph's)")
    p.add_argument("--db", metavar="STORE", help="also record the utterance into this ψ-memory store "
                   "(psigraph replay STORE ID reproduces it exactly)")
    p.add_argument("--key-file", metavar="F", help="encrypt the --db store with the key in this file "
                   "(SQLCipher, psigraph[secure]; default: $PSIGRAPH_DB_KEY)")
    p.add_argument("--keep-text", action="store_true", help="store the text itself in --db (default: only a keyed hash)")
    p.add_argument("--like", metavar="ID", type=_like_id, action=_LikeAction, dest="like_refs",
                   help="say it in the tone of utterance ID of --db (emotion, pitch level and range, rate, "
                   "pauses, expression); twice: mix two")
    p.add_argument("--like-text", metavar="TEXT", action=_LikeAction, dest="like_refs",
                   help="as --like, for the utterance of --db said with this text (matched by its hash, else "
                   "the nearest text kept with --keep-text)")
    p.add_argument("--mix", type=float, default=None, metavar="W",
                   help="with two --like/--like-text: 0 = the first's tone, 1 = the second's (default 0.5)")
    p.add_argument("--no-mood", dest="mood", action="store_false",
                   help="with --db: do not start in the persona's last mood (by default a say without "
                   "--emotion or --like continues in the tone the persona last spoke in)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary line")
    p.set_defaults(run=run)


# ---------------------------------------------------------------- preparing
def read_text(args) -> str:
    """The text to say, from the argument, --text-file or standard input."""
    sources = [s for s in (args.text, args.text_file) if s is not None]
    if len(sources) != 1:
        raise PsigraphError("give the text either as an argument or with --text-file, not both"
                            if sources else "nothing to say: give TEXT, '-' for standard input, or --text-file")
    src = sources[0]
    if args.text_file is not None or src == "-":
        path = args.text_file if args.text_file is not None else "-"
        try:
            if path == "-":
                data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
            else:
                with open(path, "rb") as f:
                    data = f.read(MAX_TEXT_BYTES + 1)
        except OSError as e:
            raise PsigraphError(f"cannot read {path!r}: {e.strerror or e}", where="--text-file") from None
        if len(data) > MAX_TEXT_BYTES:
            raise PsigraphError(f"the text is larger than {MAX_TEXT_BYTES // 2**20} MiB", where="--text-file",
                                hint="split it into several files")
        try:
            src = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise PsigraphError(f"the text is not UTF-8 (byte {e.start})", where="--text-file",
                                hint="convert it, e.g. iconv -t UTF-8") from None
    if not src.strip():
        raise PsigraphError("nothing to say: the text is empty", where="text",
                            hint="give at least one word, number or letter")
    return src


class _LikeAction(argparse.Action):
    """--like ID and --like-text TEXT append to one list, in the order given (ids as int, texts as str)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, list(getattr(namespace, self.dest, None) or []) + [values])


def _like_id(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an utterance id is a whole number (got {text!r}); "
                                         "--like-text TEXT finds one by its text") from None
    if not 1 <= v < 2 ** 63:
        raise argparse.ArgumentTypeError(f"an utterance id is >= 1 (got {text})")
    return v


@dataclasses.dataclass(frozen=True)
class SayOptions:
    """Everything one `say` depends on: the text, how to say it, the graph and the outputs.

    ``output`` is the WAV file (None: no WAV, e.g. when audio is streamed); ``frames`` the face
    frames JSONL, ``video`` the MP4/WebM (``size`` pixels square). With ``db`` the utterance is
    recorded into that ψ-memory store (``key_file`` encrypts it, ``keep_text`` stores the text
    itself); ``like`` holds up to two stored utterances whose tone to speak in (ids as int, texts as
    str, mixed by ``mix``), and ``mood`` starts in the persona's last mood when nothing else says how
    to speak (the command line sets it unless --no-mood; False here, for callers that build options
    themselves); ``like_db`` is the store ``like`` reads when it is not ``db`` (batch workers record into a
    shard of it). ``render_workers`` overrides face_render's process pool (0 = render in-process; None
    = the graph's default): it changes speed, not pixels. ``pipeline`` runs the voice a chunk behind on
    a second thread (two cores for one say; False: one thread, e.g. batch workers, one per core): it
    changes speed, not bytes.
    """
    text: str
    output: str | None = None
    emotion: str = "auto"
    persona: str = "default"
    rate: float = 1.0
    frames: str | None = None
    video: str | None = None
    size: int = 640
    graph: str | None = None
    seed: int | None = None
    db: str | None = None
    key_file: str | None = None
    keep_text: bool = False
    like: tuple = ()
    mix: float | None = None
    mood: bool = False
    render_workers: int | None = None
    like_db: str | None = None
    pipeline: bool = True

    @property
    def outputs(self) -> tuple:
        """The files this say writes, in the order the command names them (WAV, frames, video)."""
        return tuple(p for p in (self.output, self.frames, self.video) if p)


def say_options(args, text: str | None = None) -> SayOptions:
    """The :class:`SayOptions` of parsed `say` arguments (``text``: already read; default: from ``args``
    by :func:`read_text`). Namespaces built by hand may leave out the memory flags."""
    return SayOptions(
        text=read_text(args) if text is None else text, output=args.output, emotion=args.emotion,
        persona=args.persona, rate=float(args.rate), frames=args.frames, video=args.video, size=args.size,
        graph=args.graph, seed=args.seed, db=getattr(args, "db", None), key_file=getattr(args, "key_file", None),
        keep_text=bool(getattr(args, "keep_text", False)), like=tuple(getattr(args, "like_refs", None) or ()),
        mix=getattr(args, "mix", None), mood=bool(getattr(args, "mood", False)),
        render_workers=getattr(args, "render_workers", None))


def check_options(opts: SayOptions) -> None:
    """Checks that need no graph: the text, sizes and output names, before anything is opened."""
    if not isinstance(opts.text, str) or not opts.text.strip():
        raise PsigraphError("nothing to say: the text is empty", where="text",
                            hint="give at least one word, number or letter")
    if opts.video and not MIN_SIZE <= opts.size <= MAX_SIZE:
        raise PsigraphError(f"--size must be {MIN_SIZE}..{MAX_SIZE} pixels (got {opts.size})")
    outs = opts.outputs
    if len({os.path.abspath(p) for p in outs}) != len(outs):
        raise PsigraphError("-o, --frames and --video must be different files")
    if opts.db and os.path.abspath(opts.db) in {os.path.abspath(p) for p in outs}:
        raise PsigraphError("--db must be a different file from -o, --frames and --video")
    if opts.key_file and not opts.db:
        raise PsigraphError("--key-file needs --db STORE")
    if opts.keep_text and not opts.db:
        raise PsigraphError("--keep-text needs --db STORE")
    likes, mix = list(opts.like), opts.mix
    if likes and not opts.db:
        raise PsigraphError("--like and --like-text need --db STORE (the store that holds what was said)")
    if len(likes) > MAX_LIKE:
        raise PsigraphError(f"--like/--like-text: at most {MAX_LIKE} stored utterances can be mixed (got {len(likes)})")
    if any(isinstance(x, str) and not x.strip() for x in likes):
        raise PsigraphError("--like-text: the text is empty", hint="give words said earlier")
    if mix is not None and len(likes) != 2:
        raise PsigraphError("--mix needs two --like/--like-text (it mixes their tones)")
    if mix is not None and not 0.0 <= mix <= 1.0:
        raise PsigraphError(f"--mix must be 0..1 (got {mix})", hint="0 = the first's tone, 1 = the second's")
    if likes and opts.emotion not in (None, "auto"):
        raise PsigraphError("--emotion and --like both set how it is said; give one of them")
    if opts.video:
        import importlib.util
        missing = [m for m in ("vispy", "av") if importlib.util.find_spec(m) is None]
        if missing:
            raise PsigraphError(f"--video needs {' and '.join(missing)}, which is not installed",
                                hint="pip install 'psigraph[export]'")


def check_flags(args) -> None:
    """Flag combinations only the command line can make (options have no "not given")."""
    if getattr(args, "mood", True) is False and not getattr(args, "db", None):
        raise PsigraphError("--no-mood needs --db STORE (the persona's mood lives there)")


_LOADED: dict = {}
_LOADED_MAX = 8


def load_graph(path: str):
    """``psigraph.load(path)``, parsed once per process while the file is unchanged (same size and
    modification time): repeated says (batch workers, the server) get a fresh copy without parsing."""
    import psigraph
    try:
        st = os.stat(path)
    except OSError:
        return psigraph.load(path)              # its error names the problem
    key = (os.path.abspath(path), st.st_mtime_ns, st.st_size)
    if key not in _LOADED:
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[key] = psigraph.load(path)
    return _LOADED[key].copy()


def build_say_graph(opts: SayOptions):
    """The speak graph configured for ``opts``, with the sinks it asks for (not validated yet)."""
    g = load_graph(opts.graph or default_graph_path())
    found = parts(g)
    text_id = one(found, chain.TEXT_INPUT, g, "text input")
    prosody = one(found, chain.PROSODY, g, "prosody planner")
    voice = one(found, chain.VOICE, g, "voice")
    g.set_param(text_id, "text", opts.text)
    g.set_param(prosody, "emotion", opts.emotion)
    g.set_param(prosody, "persona", opts.persona)
    g.set_param(prosody, "rate", float(opts.rate))
    g.set_param(voice, "persona", opts.persona)
    audio = signal_out(g, voice)
    # no WAV: the voice stays for whoever reads its audio
    sinks = [wav_output(g, found.get(chain.AUDIO_FILE, []), audio, opts.output) or voice]
    face = found.get(chain.FACE, [None])[0]
    events = found.get(chain.EVENTS, [None])[0]
    if (opts.frames or opts.video) and face is None:
        raise PsigraphError("--frames and --video need a face_animator in the graph", where=g.source_file or "graph")
    if opts.frames:
        sinks.append(add_frames_sink(g, signal_out(g, face), opts.frames,
                                     [events_out(g, events)] if events else [], opts.persona))
    if opts.video:
        sinks.append(add_video(g, signal_out(g, face), audio, opts.video, opts.size, opts.persona))
    if opts.render_workers is not None:
        for nid, spec in g.nodes.items():
            if spec.type == "face_render":
                g.set_param(nid, "workers", int(opts.render_workers))
    if opts.db:
        _add_recorder(g, opts, text_id, prosody, voice)
        _add_memory(g, opts, prosody)
    keep_only_what_feeds(g, sinks)
    return g


def build_graph(args, text: str):
    """:func:`build_say_graph` for parsed (or hand-built) `say` arguments and an already read ``text``."""
    return build_say_graph(say_options(args, text=text))


def _add_recorder(g, opts: SayOptions, text_id: str, prosody: str, voice: str) -> None:
    """Put a recorder between the ψ-state that feeds the voice and everything that reads it (voice, face,
    Koopman monitor): what they consume is exactly what the store keeps."""
    feeds = g.edges_into(voice, "state") if "state" in g.node_class(voice).inputs() else []
    if not feeds:
        raise PsigraphError("--db needs a graph whose voice reads a ψ-state (psi_core.state)",
                            where=g.source_file or "graph")
    src = f"{feeds[0].src}.{feeds[0].src_port}"
    rec = fresh_id(g, RECORDER)
    g.add_node(rec, RECORDER, {"path": opts.db, "key_file": opts.key_file or "",
                               "keep_text": bool(opts.keep_text), "persona": opts.persona})
    for e in list(g.edges_from(feeds[0].src, feeds[0].src_port)):
        g.disconnect(src, f"{e.dst}.{e.dst_port}")
        g.connect(f"{rec}.y", f"{e.dst}.{e.dst_port}")
    g.connect(src, f"{rec}.x")
    g.connect(events_out(g, text_id), f"{rec}.events")
    g.connect(events_out(g, prosody), f"{rec}.events")


def _add_memory(g, opts: SayOptions, prosody: str) -> None:
    """A psi_memory feeding the planner's tone input: the tone of the ``like`` utterances, or the
    persona's last mood when nothing else says how to speak (``mood`` set, no --emotion, no --like)."""
    likes = list(opts.like)
    mood = bool(opts.mood) and opts.emotion in (None, "auto")
    if not likes and not mood:
        return
    if "tone" not in g.node_class(prosody).inputs():
        raise PsigraphError("--like and the persona's mood need a prosody planner with a tone input",
                            where=g.source_file or "graph")
    nid = fresh_id(g, "memory")
    g.add_node(nid, MEMORY, {"path": opts.like_db or opts.db, "key_file": opts.key_file or "", "like": likes,
                             "mix": 0.5 if opts.mix is None else float(opts.mix), "persona": opts.persona,
                             "mood": mood})
    g.connect(f"{nid}.tone", f"{prosody}.tone")


def validate(g) -> list:
    """Errors → one line each naming the say flag where there is one; returns the warnings."""
    import psigraph
    issues = psigraph.check(g)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise GraphFileError(_unique(_as_flag(g, i) for i in errors))
    return _unique(_as_flag(g, i) for i in issues if i.severity != "error")


def _unique(issues) -> list:
    out, seen = [], set()
    for i in issues:
        if i.format() not in seen:
            seen.add(i.format())
            out.append(i)
    return out


def _as_flag(g, issue: Issue) -> Issue:
    from psigraph import registry
    bits = issue.path.split(".")
    if len(bits) >= 4 and bits[0] == "nodes" and bits[2] == "params" and bits[1] in g.nodes:
        part = registry.get(g.nodes[bits[1]].type).ROLE
        flag = FLAGS.get((part, "like_text" if issue.code == "memory.no_match" else bits[3]))
        if flag is not None:
            text = f"{flag}: {issue.message}" if flag else issue.message
            return Issue("", text, severity=issue.severity, code=issue.code)
    return issue


# ---------------------------------------------------------------- running
#: master samples per Session.advance: results do not depend on it (block-size invariance)
BLOCK = 24000          # 1 s: fewer per-chunk costs; the output is the same for any block


@dataclasses.dataclass(frozen=True)
class SayResult:
    """What a :func:`say` produced: ``seconds`` of speech, ``wall_s`` to render them after a start-up of
    ``startup_s`` (loading, validating, warming kernels), the ``outputs`` written, the ψ-memory
    ``utterance_ids`` recorded with --db and ``told`` (how the memory says it set the tone, or "")."""
    seconds: float
    wall_s: float
    startup_s: float
    outputs: tuple
    utterance_ids: tuple = ()
    told: str = ""

    @property
    def real_time_factor(self) -> float:
        return self.wall_s / self.seconds if self.seconds else float("inf")


def say(opts: SayOptions, progress: Callable[[float, float], None] | None = None,
        warn: Callable[[Issue], None] | None = None) -> SayResult:
    """Speak ``opts.text`` into the outputs of ``opts``; all are published together only on success.

    ``warn(issue)`` receives each validation warning or notice before anything runs;
    ``progress(fraction, seconds_spoken)`` is called after every block. Bad options or graphs raise a
    one-line :class:`PsigraphError` before any output is opened.
    """
    from psigraph.runtime import Session
    check_options(opts)
    t_start = time.perf_counter()
    g = build_say_graph(opts)
    for w in validate(g):
        if warn is not None:
            warn(w)
    with Session(g, block=BLOCK, seed=opts.seed, skip_unread=True, pipeline=opts.pipeline) as s:
        t_ready = time.perf_counter()
        planner = next(x.node for x in s.slots.values() if type(x.node).ROLE == chain.PROSODY)
        for _ in s.until_done(max_duration=None):
            if progress is not None:
                progress(planner.progress(), s.now / s.master_rate)
        seconds = s.now / s.master_rate
    wall = time.perf_counter() - t_ready
    ids = tuple(i for x in s.slots.values() if type(x.node).ROLE == RECORDER
                for i in getattr(x.node.state, "committed", []))
    told = next((x.node.state.told for x in s.slots.values() if type(x.node).ROLE == MEMORY
                 and getattr(x.node.state, "told", "")), "")
    return SayResult(seconds=seconds, wall_s=wall, startup_s=t_ready - t_start, outputs=opts.outputs,
                     utterance_ids=ids, told=told)


def run(args) -> int:
    opts = say_options(args)
    check_options(opts)
    check_flags(args)

    def warn(w: Issue) -> None:                 # notices (e.g. an unencrypted store) are quiet with -q
        if w.severity == "warning" or not args.quiet:
            print(f"{w.severity}: {w.message}", file=sys.stderr)

    bars = []                                   # the bar's delay counts from the first block, after start-up

    def progress(fraction: float, spoken: float) -> None:
        if not bars:
            bars.append(ProgressBar(sys.stderr.isatty() and not args.quiet, delay_s=2.0))
        bars[0].update(fraction, f"{spoken:7.1f} s spoken")

    try:
        result = say(opts, progress=progress, warn=warn)
    finally:
        for bar in bars:
            bar.done()
    if not args.quiet:
        outs = ", ".join(result.outputs)
        if result.utterance_ids:
            outs += f", {opts.db} (utterance {', '.join(map(str, result.utterance_ids))})"
        if result.told:
            outs += f" in {result.told}"
        print(f"{outs}: {result.seconds:.2f} s of speech in {result.wall_s:.2f} s (real-time factor "
              f"{result.real_time_factor:.3f}; start-up {result.startup_s:.2f} s)", file=sys.stderr)
    return 0


def stream(text: str, emotion: str = "auto", persona: str = "default", block: int = 480, graph: str | None = None):
    """Yield mono audio blocks (float arrays at the master rate) as the default graph makes them."""
    from psigraph.runtime import Session
    g = build_say_graph(SayOptions(text=text, emotion=emotion, persona=persona, graph=graph))
    voice = parts(g)[chain.VOICE][0]
    validate(g)
    with Session(g, block=block) as s:
        for block_data in s.stream(f"{voice}.audio", duration=None):
            yield block_data[:, 0]
