"""Run the open graph in a runtime Session on a worker thread, with probes and hot params.

The worker advances the Session block by block through ``Session.advance`` (the one
pacing primitive). At 1× it is paced by the sound card when the graph has an
``audio_sink`` and a device exists, else by a clock that behaves like one (it
consumes a block every block period and counts an under-run whenever the graph
had not computed what it needed). Everything that touches the Session — building
it, attaching probe taps, hot param changes, advancing — happens on the worker
thread; the UI thread only reads probe snapshots and counters.

Probes are runtime taps (bounded, decimated copies of a port's output), so
probing never changes results.
"""
from __future__ import annotations

import ctypes
import math
import queue
import sys
import threading
import time
from typing import Any, NamedTuple

import numpy as np
from PySide6.QtCore import QObject, Signal as QtSignal

from psigraph import chain, registry
from psigraph.errors import PsigraphError
from psigraph.graph import Graph
from psigraph.runtime import Session

def shield_qt_refcounts() -> None:
    """Work around PySide6 6.12.0 on Python < 3.12: its bindings drop a reference to ``None``
    (and to ``True``/``False``) on many calls, so a busy GUI (a scope repaints thousands of
    times) aborts with ``none_dealloc`` after a while. Give these singletons a huge reference
    count once, as Python 3.12 makes them immortal. Idempotent; a no-op elsewhere."""
    import PySide6
    if sys.version_info >= (3, 12) or not PySide6.__version__.startswith("6.12.") or _SHIELDED:
        return
    for obj in (None, True, False, NotImplemented, Ellipsis):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _SHIELDED.append(True)


_SHIELDED: list = []
shield_qt_refcounts()

MAX_PROBE_POINTS = 240_000     # samples kept per probe (10 s of 24 kHz audio; decimated above this)
MAX_PROBE_EVENTS = 4096


class ProbeSnapshot(NamedTuple):
    """What a probe holds now: ``times`` (s, graph time), ``data`` ((n, channels) array, or the
    list of events), channel ``labels`` (event kinds for events) and the sample ``rate`` (Hz,
    after decimation; None for events)."""

    times: np.ndarray
    data: Any
    labels: list
    rate: float | None


class ProbeBuffer:
    """The newest ``window_s`` seconds of one port of the running graph (thread-safe).

    Filled on the worker thread by a runtime Tap; :meth:`snapshot` may be called from any
    thread. Memory is bounded: signals faster than ``max_points / window_s`` are decimated
    by an integer factor (by absolute tick, so the kept samples do not depend on blocks).
    """

    def __init__(self, runner: "Runner", ref: str, window_s: float, kind: str, spec, master_rate: int,
                 max_points: int = MAX_PROBE_POINTS):
        if not (isinstance(window_s, (int, float)) and 0 < window_s <= 3600):
            raise PsigraphError(f"probe window must be > 0 and at most 3600 s (got {window_s!r})", where=ref)
        self.ref, self.window_s, self.kind = ref, float(window_s), kind
        self.master_rate = int(master_rate)
        self._runner = runner
        self._tap = None
        if kind == "signal":
            self.period = spec.period
            self.channels = spec.channels
            self.labels = list(spec.labels) or [f"{ref}[{i}]" for i in range(spec.channels)]
            want = self.window_s * master_rate / spec.period
            self.every = max(1, math.ceil(want / max_points))
            self.capacity = max(2, math.ceil(want / self.every))
            self.rate = master_rate / (spec.period * self.every)
        else:
            self.period, self.channels, self.labels, self.every = None, 0, [], 1
            self.capacity, self.rate = MAX_PROBE_EVENTS, None

    def _attach(self, session: Session) -> None:
        self._tap = session.add_tap(self.ref, capacity=self.capacity, every=self.every)

    @property
    def attached(self) -> bool:
        return self._tap is not None

    def snapshot(self) -> ProbeSnapshot:
        """Times (s), data, labels, rate of what the probe holds now."""
        tap = self._tap
        if self.kind != "signal":
            events = [] if tap is None else tap.snapshot()[1]
            now = self._runner.graph_time
            events = [e for e in events if e.t / self.master_rate >= now - self.window_s]
            times = np.array([e.t / self.master_rate for e in events])
            return ProbeSnapshot(times, events, sorted({e.kind for e in events}), None)
        if tap is None:
            return ProbeSnapshot(np.zeros(0), np.zeros((0, self.channels)), self.labels, self.rate)
        last, data = tap.snapshot()
        n = len(data)
        if last is None or n == 0:
            return ProbeSnapshot(np.zeros(0), np.zeros((0, self.channels)), self.labels, self.rate)
        ticks = last - self.every * np.arange(n - 1, -1, -1)
        return ProbeSnapshot(ticks * (self.period / self.master_rate), data, self.labels, self.rate)

    def close(self) -> None:
        """Stop probing (the tap is removed at the next block)."""
        self._runner._remove_probe(self)

    def __repr__(self):
        return f"<ProbeBuffer {self.ref} {self.kind} window={self.window_s:g}s every={self.every}>"


class _ClockPacer:
    """A sound card without hardware: it consumes ``block`` samples every block period once
    ``ahead`` samples were computed; an under-run is a device block the graph had not ready
    (the device then plays silence and goes on, as a real one does)."""

    def __init__(self, master_rate: int, block: int, ahead: int):
        self.rate, self.block, self.ahead = master_rate, block, ahead
        self.t_start: float | None = None
        self.base = 0                     # samples played before the device (re)started
        self.underruns = 0
        self.underrun_at: list = []       # graph time (s) of each under-run

    def _consumed(self, now_wall: float) -> int:
        """Samples the device has started to play by ``now_wall`` (whole blocks)."""
        i = math.floor((now_wall - self.t_start) * self.rate / self.block)
        return self.base + (i + 1) * self.block

    def wait_s(self, produced: int) -> float:
        """Seconds to sleep before the next block is needed (0: compute it now)."""
        now_wall = time.perf_counter()
        if self.t_start is None:                        # pre-fill, then the device starts
            if produced < self.base + self.ahead:
                return 0.0
            self.t_start = now_wall
        need = self._consumed(now_wall)
        if produced < need:                             # the device found its block missing
            missing = need - produced
            self.underruns += -(-missing // self.block)
            self.underrun_at.append(produced / self.rate)
            self.t_start += missing / self.rate
            return 0.0
        if produced < need + self.ahead:
            return 0.0
        return (produced - self.ahead - need + self.block) / self.rate

    def hold(self, produced: int) -> None:
        """Pause: the device plays out what was computed and stops; on resume it starts again
        after a fresh pre-fill."""
        self.base, self.t_start = produced, None

    def close(self) -> None:
        pass


class _DevicePacer:
    """The sound card through the audio_sink's ring buffer (runtime.realtime)."""

    def __init__(self, session: Session, sink, block: int, ahead_s: float, sd):
        from psigraph.runtime.realtime import RingBuffer
        spec = next(iter(sink.in_specs.values()))
        self.rate_audio = int(spec.rate_hz)
        self.per_sample = session.master_rate / self.rate_audio
        self.ring = RingBuffer(max(2 * block, int(ahead_s * self.rate_audio) + block), spec.channels)
        self.block = block
        sink.attach(self.ring)
        self._sink, self._sd = sink, sd
        self._stream = None

    @property
    def underruns(self) -> int:
        return self.ring.underruns

    def wait_s(self, produced: int) -> float:
        if self.ring.space() * self.per_sample >= self.block:
            return 0.0
        if self._stream is None:                      # ring pre-filled: start the device
            self._stream = self._sd.OutputStream(samplerate=self.rate_audio, channels=self.ring.buf.shape[1],
                                                 dtype="float32", callback=lambda out, n, *_: self.ring.read_into(out))
            self._stream.start()
        return self.block / self.per_sample / self.rate_audio / 4

    def hold(self, produced: int = 0) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def close(self) -> None:
        self.hold()
        self._sink.attach(None)


def _graph_of(graph_or_document) -> Graph:
    """The Graph of a Document (its ``.graph``) or the Graph itself."""
    g = graph_or_document if isinstance(graph_or_document, Graph) else getattr(graph_or_document, "graph", None)
    if not isinstance(g, Graph):
        raise PsigraphError(f"Runner needs a Graph or a Document with .graph (got {type(graph_or_document).__name__})")
    return g


class Runner(QObject):
    """Run / pause / stop the open graph on a worker thread; probes, hot params, profile.

    ``realtime=True`` paces at 1× (audio to the sound card through an ``audio_sink`` node
    when the graph has one and a device exists; otherwise a clock); ``False`` runs as fast
    as possible. ``out_dir`` redirects relative sink paths (as ``Session(out_dir=)``).
    """

    started = QtSignal()
    stopped = QtSignal(str)
    error = QtSignal(str)

    def __init__(self, graph_or_document, realtime: bool = True, *, block: int = 480, ahead_s: float = 0.25,
                 out_dir: str | None = None, parent=None):
        super().__init__(parent)
        self.source = graph_or_document
        _graph_of(graph_or_document)
        self.realtime, self.block, self.ahead_s, self.out_dir = bool(realtime), int(block), ahead_s, out_dir
        self._session: Session | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._idle = threading.Event()        # set by the worker while it is paused
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._probes: list[ProbeBuffer] = []
        self._pacer = None
        self._now = 0
        self._master_rate = _graph_of(graph_or_document).master_rate
        self.applied: list = []      # (ref, value, master index) of every hot change, in order
        self.last_error = ""

    # ---- state -------------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        """The graph the runner starts from (the Document's current graph)."""
        return _graph_of(self.source)

    @property
    def session(self) -> Session | None:
        """The running Session (None before start and after stop); read-only use off the worker."""
        return self._session

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    @property
    def paused(self) -> bool:
        return self._pause.is_set()

    @property
    def graph_time(self) -> float:
        """Seconds of graph time computed so far."""
        return self._now / self._master_rate

    @property
    def underruns(self) -> int:
        """Device blocks that found the graph behind (0 when running as fast as possible)."""
        return self._pacer.underruns if self._pacer is not None else 0

    # ---- control -----------------------------------------------------------------------
    def start(self) -> None:
        """Build a Session from the current graph and run it on a worker thread (returns at once;
        ``started`` is emitted once the graph is built)."""
        if self._thread is not None and self._thread.is_alive():
            raise PsigraphError("the graph is already running", hint="stop it first")
        graph = self.graph.copy()
        self._stop.clear()
        self._pause.clear()
        self._idle.clear()
        self._now = 0
        self._master_rate = graph.master_rate
        self.applied = []
        self.last_error = ""
        self._thread = threading.Thread(target=self._work, args=(graph,), name="psigraph-editor-run", daemon=True)
        self._thread.start()

    def pause(self, wait: bool = False, timeout: float = 10.0) -> None:
        """Pause after the block in progress; ``wait`` blocks until the worker is idle."""
        self._pause.set()
        if wait and self._thread is not None and self._thread.is_alive():
            self._idle.wait(timeout)

    def resume(self) -> None:
        self._idle.clear()
        self._pause.clear()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker, then flush and commit the sinks' outputs (blocks until done)."""
        self._stop.set()
        self._pause.clear()
        self._idle.clear()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_started(self, timeout: float = 30.0) -> bool:
        """Block until the Session is built and running (for scripts and tests)."""
        end = time.perf_counter() + timeout
        while self._session is None and time.perf_counter() < end:
            if self._thread is None or not self._thread.is_alive():
                return False
            time.sleep(0.005)
        return self._session is not None

    # ---- hot params ----------------------------------------------------------------------
    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Change hot param ``node_id.name`` from the next block on. Raises a PsigraphError with
        the validation message when the node, param or value is invalid or the param is not hot.
        When the graph is not running it only validates."""
        ref = f"{node_id}.{name}"
        session = self._session
        if session is not None:
            session.check_hot(ref, value)
            self._commands.put(("param", ref, value))
            return
        g = self.graph
        if node_id not in g.nodes:
            raise PsigraphError(f"unknown node {node_id!r}", where=ref)
        cls = registry.get(g.nodes[node_id].type)
        if name not in cls.HOT_PARAMS:
            raise PsigraphError(f"param {name!r} of {cls.type_id} cannot change during a run", where=ref,
                                hint=f"hot params: {', '.join(sorted(cls.HOT_PARAMS)) or '(none)'}")
        cls.Params.from_dict(g.nodes[node_id].params, where=f"nodes.{node_id}.params").replace(**{name: value})

    # ---- probes -----------------------------------------------------------------------------
    def probe(self, ref: str, window_s: float = 2.0, *, max_points: int = MAX_PROBE_POINTS) -> ProbeBuffer:
        """A bounded, decimated, thread-safe view of the newest ``window_s`` seconds of ``node.port``
        (any output, or an input: the output feeding it). Works before and during a run."""
        kind, spec = self._port_spec(ref)
        buf = ProbeBuffer(self, ref, window_s, kind, spec, self._master_rate, max_points)
        self._probes.append(buf)
        if self._session is not None:
            self._commands.put(("probe", buf))
        return buf

    def probes(self) -> list:
        return list(self._probes)

    def _remove_probe(self, buf: ProbeBuffer) -> None:
        if buf in self._probes:
            self._probes.remove(buf)
            self._commands.put(("unprobe", buf))

    def _port_spec(self, ref: str):
        session = self._session
        if session is not None:
            return session.port_spec(ref)
        from psigraph.compile import analyze
        from psigraph.errors import GraphFileError
        from psigraph.util import split_ref
        nid, port = split_ref(ref)
        res, issues = analyze(self.graph)
        if res is None:
            raise GraphFileError([i for i in issues if i.severity == "error"])
        if nid not in res.classes:
            raise PsigraphError(f"unknown node {nid!r}", where=ref)
        cls = res.classes[nid]
        if port in cls.inputs():
            srcs = res.sources.get((nid, port))
            if not srcs:
                raise PsigraphError(f"input {ref} is not connected; nothing to probe", where=ref)
            nid, port = srcs[0].src, srcs[0].src_port
            cls = res.classes[nid]
        if port not in cls.outputs():
            raise PsigraphError(f"node {nid!r} has no port {port!r}", where=ref)
        kind = cls.outputs()[port].kind
        return kind.name, res.out_specs.get(nid, {}).get(port)

    # ---- profile ------------------------------------------------------------------------------
    def profile(self) -> dict:
        """``{node_id: (µs per call, share of real time)}`` since the start (share = compute time
        per second of graph time; 1.0 would use a whole core at 1×)."""
        session = self._session
        if session is None:
            return {}
        return {nid: (p["mean_us"], p["share"]) for nid, p in session.profile().items()}

    # ---- the worker ---------------------------------------------------------------------------
    def _work(self, graph: Graph) -> None:
        reason = "stopped"
        session = None
        try:
            session = Session(graph, block=self.block, out_dir=self.out_dir)
            self._master_rate = session.master_rate
            for buf in list(self._probes):
                buf._attach(session)
            self._pacer = self._make_pacer(session) if self.realtime else None
            self._session = session
            self.started.emit()
            self._loop(session)
        except PsigraphError as exc:
            reason = "error"
            self._fail(str(exc))
        except Exception as exc:   # noqa: BLE001 - shown in the editor, never raised into Qt
            reason = "error"
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            if self._pacer is not None:
                try:
                    self._pacer.close()
                except Exception:   # noqa: BLE001 - the device is gone anyway
                    pass
            if session is not None:
                try:
                    session.close() if reason != "error" else session.abort()
                except PsigraphError as exc:
                    reason = "error"
                    self._fail(str(exc))
            self._session = None
            self._stop.set()
            self.stopped.emit(reason)

    def _fail(self, message: str) -> None:
        self.last_error = message
        self.error.emit(message)

    def _make_pacer(self, session: Session):
        ahead = max(self.block, int(self.ahead_s * session.master_rate))
        sinks = [s.node for s in session.slots.values() if type(s.node).ROLE == chain.AUDIO_DEVICE]
        if sinks:
            from psigraph.runtime.realtime import open_output_stream
            try:
                sd = open_output_stream()
            except PsigraphError:
                sd = None                     # no sound card here: silent, paced by the clock
            if sd is not None:
                return _DevicePacer(session, sinks[0], self.block, self.ahead_s, sd)
        return _ClockPacer(session.master_rate, self.block, ahead)

    def _drain(self, session: Session) -> None:
        """Apply what the UI asked for since the last block (probes, hot params)."""
        while True:
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            if cmd[0] == "param":
                _, ref, value = cmd
                try:
                    session.set_param(ref, value)
                    self.applied.append((ref, value, session.now))
                except PsigraphError as exc:
                    self._fail(str(exc))
            elif cmd[0] == "probe":
                if cmd[1] in self._probes:
                    cmd[1]._attach(session)
            elif cmd[0] == "unprobe" and cmd[1]._tap is not None:
                session.remove_tap(cmd[1]._tap)

    def _loop(self, session: Session) -> None:
        pacer = self._pacer
        while not self._stop.is_set():
            self._drain(session)
            if self._pause.is_set():
                if pacer is not None:
                    pacer.hold(session.now)
                self._idle.set()
                time.sleep(0.01)
                continue
            self._idle.clear()
            if pacer is not None:
                wait = pacer.wait_s(session.now)
                if wait > 0:
                    time.sleep(min(wait, 0.02))
                    continue
            session.advance(self.block)
            self._now = session.now
            if pacer is None:
                time.sleep(0)            # let the UI thread take the GIL between blocks
