"""Session: instantiate a Graph and run it over master time, offline or stepped by a real-time runner.

The scheduler advances in chunks of master samples. In each chunk every node,
in topological order, is called once per *sub-span*: the chunk is split at the
times of the node's input events, value changes and scheduled parameter
changes, so timed changes take effect at their exact sample whatever the block
size (a node class with ``OWN_EVENT_TIMES = True`` gets all the events of its
span in one call and applies each at its own time itself). Delay nodes that
close a feedback loop emit first (from their state) and absorb their input at
the end of the chunk; chunks are capped so that no loop ever needs a sample
that has not been computed.
"""
from __future__ import annotations

import bisect
import os
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from psigraph import registry
from psigraph.compile import Resolved, analyze, execution_order
from psigraph.errors import GraphFileError, PsigraphError, SchedulingError
from psigraph.graph import Edge, Graph, NodeSpec
from psigraph.node import DelayNode, Node, NodeContext
from psigraph.ports import Event, Events, Signal
from psigraph.timebase import seconds_to_index, ticks_in
from psigraph.util import did_you_mean, split_ref

from .taps import Tap

DEFAULT_BLOCK = 480
#: GIL switch interval while a pipeline runs: the worker gets the GIL for its short Python parts within
#: this time, instead of Python's default 5 ms (longer than a chunk's work on the main thread)
PIPELINE_SWITCH_S = 1e-4
#: chunks the pipeline's second thread may lag behind: the main thread's work comes in bursts (a
#: sentence planned at once), the voice's evenly, so a few chunks of slack let them overlap
PIPELINE_DEPTH = 8
MAX_BLOCK = 1 << 20          # master samples per chunk (44 s at 24 kHz): bounds the memory of one chunk


@dataclass
class _Input:
    port: str
    kind: type
    src: tuple | None            # (node id, port) for signal inputs
    queue: list = field(default_factory=list)   # pending events (sorted by t) for events/value inputs
    value: Any = None            # current value (Value inputs)
    period: int = 0


@dataclass
class _Slot:
    nid: str
    node: Any
    inputs: list
    outputs: list                # [(port, kind, spec|None)]
    consumers: dict              # out port -> list of _Input (events/value routing)
    periods: tuple               # periods of every signal port (to skip empty spans)
    always: bool                 # no signal ports: call every chunk
    loop_delay: bool = False
    changes: list = field(default_factory=list)  # [(t, seq, name, value)]
    empty: dict = field(default_factory=dict)
    own_times: bool = False      # the node applies its events at their own times (no cuts at event times)
    sig_inputs: list = field(default_factory=list)   # [(port, (src node, src port) | None)]
    queued: list = field(default_factory=list)       # events / value inputs
    calls: int = 0
    total_ns: int = 0
    max_ns: int = 0


class Session:
    """Run a graph. ``Session(graph, block=N)`` then ``tap``, ``schedule``, ``run``.

    ``skip_unread=True`` (offline commands such as ``say``): when the run starts, every node that overrides
    ``outputs_read(read)`` is told what of its signal outputs is read, ``{port: None}`` (all of
    it), ``frozenset()`` (nothing) or a frozenset of channel labels (every reader is an input whose node
    class declares ``READS = {port: labels}``), so it may skip computing the rest. Taps and watches must
    then be registered before the run: a tap added later on such an output is refused.

    ``pipeline=True`` (offline runs): a node class with ``PIPELINE = True`` (its ``process`` runs mostly
    without the GIL, e.g. the voice's compiled renderer) and everything downstream of it run one chunk
    behind the rest of the graph, on a second thread, so two cores share the work. Every node still
    sees the same inputs in the same order, so outputs are bit-identical. It applies only when that
    part reads nothing but signals from the rest, has no feedback delay and no tap or watch (decided
    when the run starts); ``post``, ``schedule``, taps and ``finish`` wait for the chunk in flight."""

    def __init__(self, graph: Graph | str, block: int = DEFAULT_BLOCK, *, seed: int | None = None,
                 out_dir: str | None = None, params: dict | None = None, skip_unread: bool = False,
                 pipeline: bool = False):
        if isinstance(graph, (str, os.PathLike)):
            from psigraph import load
            graph = load(graph)
        graph = graph.copy()
        if seed is not None:
            graph.seed = int(seed)
        for ref, value in (params or {}).items():
            nid, name = split_ref(ref, "param")
            if nid not in graph.nodes:
                raise PsigraphError(f"unknown node {nid!r}" + did_you_mean(nid, graph.nodes), where=ref)
            graph.nodes[nid].params[name] = value
        if out_dir:
            _redirect_paths(graph, out_dir)
        if not 1 <= int(block) <= MAX_BLOCK:
            raise PsigraphError(f"block must be 1..{MAX_BLOCK} master samples (got {block})")
        self.block = int(block)
        self.graph = graph
        _insert_edge_delays(graph)
        res, issues = analyze(graph)
        if res is None:
            raise GraphFileError([i for i in issues if i.severity == "error"])
        self.warnings = [i for i in issues if i.severity != "error"]
        self.resolved: Resolved = res
        self.timebase = res.timebase
        self.master_rate = res.timebase.master_rate
        self.now = 0
        self._taps: dict[tuple, list[Tap]] = {}
        self._sig: dict[tuple, np.ndarray] = {}
        self._seq = 0
        self._wall_ns = 0
        self._watches: dict[str, Tap] = {}
        self._skip_unread = bool(skip_unread)
        self._partly_read: set = set()      # (node, port) outputs a node was told are not (all) read
        self._pipeline_asked = bool(pipeline)
        self._behind: list = []             # slots run a chunk behind on the worker thread (pipeline)
        self._worker = None                 # the thread running it (_Behind)
        self._build()
        self._finite = [s.node for s in self.slots.values() if type(s.node).FINITE]

    # ---- construction ---------------------------------------------------------
    def _build(self) -> None:
        res = self.resolved
        self.order = execution_order(res)
        self.slots: dict[str, _Slot] = {}
        loop_nodes = _nodes_on_delay_loops(res)
        for nid in self.order:
            cls, params = res.classes[nid], res.params[nid]
            node = cls(params)
            node.bind(NodeContext(nid, self.timebase, node_seed(self.graph.seed, nid),
                                  dict(res.in_specs.get(nid, {})), dict(res.out_specs.get(nid, {}))))
            inputs = []
            for port, decl in cls.inputs().items():
                srcs = res.sources.get((nid, port), [])
                spec = node.in_specs.get(port)
                inp = _Input(port, decl.kind, (srcs[0].src, srcs[0].src_port) if srcs and decl.kind is Signal else None,
                             value=decl.default, period=spec.period if spec else 0)
                inputs.append(inp)
            outputs = [(p, d.kind, node.out_specs.get(p)) for p, d in cls.outputs().items()]
            periods = tuple(i.period for i in inputs if i.kind is Signal and i.src) + \
                tuple(s.period for _, k, s in outputs if k is Signal and s)
            self.slots[nid] = _Slot(nid, node, inputs, outputs, {}, periods, always=not periods,
                                    loop_delay=bool(issubclass(cls, DelayNode) and nid in loop_nodes),
                                    sig_inputs=[(i.port, i.src) for i in inputs if i.kind is Signal],
                                    queued=[i for i in inputs if i.kind is not Signal],
                                    own_times=cls.OWN_EVENT_TIMES)
        # route events / values to consumer queues
        for (dst, port), edges in res.sources.items():
            inp = next(i for i in self.slots[dst].inputs if i.port == port)
            if inp.kind is Signal:
                continue
            for e in edges:
                self.slots[e.src].consumers.setdefault(e.src_port, []).append(inp)
        self.loop_limit = None
        for s in self.slots.values():
            if s.loop_delay:
                lim = s.node.max_span()
                self.loop_limit = lim if self.loop_limit is None else min(self.loop_limit, lim)
        self._plain = [self.slots[n] for n in self.order if not self.slots[n].loop_delay]
        for s in self.slots.values():
            s.node.t0 = s.node.t1 = 0
            self._guard(s, "reset", s.node.reset)
        for s in self.slots.values():
            self._guard(s, "warmup", s.node.warmup)

    # ---- public API ------------------------------------------------------------
    def tap(self, ref: str, *, capacity: int | None = None, every: int = 1):
        """Observe ``node.port``. Before a run: registers and returns a :class:`Tap`.
        After a run: returns the samples of the tap registered earlier (numpy array,
        or the list of events)."""
        nid, port = split_ref(ref)
        key = self._output_key(nid, port)
        if self.now > 0:
            for t in self._taps.get(key, []):
                if t.ref == ref:
                    return t.data
            raise SchedulingError(f"tap {ref!r} was not registered before the run",
                                  hint="call session.tap(...) before session.run(...)")
        return self._attach(key, ref, capacity, every)

    def _attach(self, key: tuple, ref: str, capacity: int | None = None, every: int = 1) -> Tap:
        """A new Tap on output ``key`` (node, port), fed from the next chunk on."""
        self._drain()
        if any(key[0] == b.nid for b in self._behind):
            self._stop_pipeline()
        if key in self._partly_read:
            raise SchedulingError(f"{ref}: this session skips what nothing read when the run started "
                                  f"(skip_unread), so {key[0]}.{key[1]} is not fully computed",
                                  hint="register taps and watches before the run, or build the Session "
                                       "without skip_unread")
        kind, spec = next((k, s) for p, k, s in self.slots[key[0]].outputs if p == key[1])
        tap = Tap(ref, kind.name, spec.channels if spec else 1, capacity, every)
        self._taps.setdefault(key, []).append(tap)
        return tap

    def _output_key(self, nid: str, port: str) -> tuple:
        if nid not in self.slots:
            raise PsigraphError(f"unknown node {nid!r}" + did_you_mean(nid, self.slots))
        cls = type(self.slots[nid].node)
        if port in cls.outputs():
            return (nid, port)
        if port in cls.inputs():
            srcs = self.resolved.sources.get((nid, port))
            if not srcs:
                raise PsigraphError(f"input {nid}.{port} is not connected; nothing to tap")
            return (srcs[0].src, srcs[0].src_port)
        raise PsigraphError(f"node {nid!r} has no port {port!r}" + did_you_mean(port, cls.ports()))

    def check_hot(self, ref: str, value: Any):
        """Validate a run-time change of ``node.param`` (exists, hot, valid value); returns
        ``(node, node id, param name)`` or raises a SchedulingError / ParamError with the reason."""
        nid, name = split_ref(ref, "param")
        if nid not in self.slots:
            raise SchedulingError(f"unknown node {nid!r}" + did_you_mean(nid, self.slots), where=ref)
        node = self.slots[nid].node
        names = [f.name for f in node.Params.fields()]
        if name not in names:
            raise SchedulingError(f"node {nid!r} has no param {name!r}" + did_you_mean(name, names), where=ref)
        if name not in node.HOT_PARAMS:
            raise SchedulingError(f"param {name!r} of {type(node).type_id} cannot change during a run",
                                  where=ref, hint=f"hot params: {', '.join(sorted(node.HOT_PARAMS)) or '(none)'}")
        node.params.replace(**{name: value})         # validate now, not at sample k
        return node, nid, name

    def schedule(self, t: float, ref: str, value: Any) -> None:
        """Change ``node.param`` to ``value`` at time ``t`` seconds (sample-accurate)."""
        _, nid, name = self.check_hot(ref, value)
        k = seconds_to_index(t, self.master_rate)
        if k < self.now:
            raise SchedulingError(f"time {t} s is in the past (now {self.now / self.master_rate} s)", where=ref)
        self._queue_change(nid, k, name, value)

    def set_param(self, ref: str, value: Any) -> None:
        """Change hot ``node.param`` from the next sample on (the next :meth:`advance`)."""
        _, nid, name = self.check_hot(ref, value)
        self._queue_change(nid, self.now, name, value)

    def _queue_change(self, nid: str, k: int, name: str, value: Any) -> None:
        self._drain()
        self._seq += 1
        bisect.insort(self.slots[nid].changes, (k, self._seq, name, value), key=lambda c: (c[0], c[1]))

    def post(self, ref: str, event: Event) -> None:
        """Deliver an event to input ``node.port`` (events or value input) from outside the graph."""
        nid, port = split_ref(ref)
        inp = next((i for i in self.slots[nid].inputs if i.port == port), None)
        if inp is None or inp.kind is Signal:
            raise PsigraphError(f"{ref} is not an events or value input")
        if event.t < self.now:
            event = event._replace(t=self.now)
        self._drain()
        bisect.insort(inp.queue, event, key=lambda e: e.t)

    def run(self, duration: float | None = None, *, until: int | None = None) -> "Session":
        """Advance by ``duration`` seconds (or to master index ``until``), then flush sinks."""
        if until is None:
            if duration is None:
                raise PsigraphError("run() needs a duration in seconds (or until=master index)")
            until = self.now + seconds_to_index(duration, self.master_rate)
        self.advance(until - self.now)
        self.finish()
        return self

    @property
    def has_end(self) -> bool:
        """True when the graph has a node with a natural end (e.g. a text source's planner)."""
        return bool(self._finite)

    @property
    def done(self) -> bool:
        """True once every FINITE node (e.g. a text source's planner) has produced all it will."""
        return all(n.done() for n in self._finite)

    def run_until_done(self, max_duration: float | None = 600.0, tail: float = 0.0) -> "Session":
        """Run until every FINITE node reports done() (then ``tail`` seconds more), then flush.

        Raises if the graph has no finite node, or it is not done after ``max_duration`` seconds
        of graph time (None: no limit — the finite nodes promise an end).
        """
        for _ in self.until_done(max_duration, tail):
            pass
        self.finish()
        return self

    def until_done(self, max_duration: float | None = 600.0, tail: float = 0.0):
        """Advance block by block until done (then ``tail`` seconds); yields each block's
        :meth:`advance` result, so callers stream what their watches collected."""
        if not self._finite:
            raise PsigraphError("this graph has no node with a natural end (e.g. text_source)",
                                hint="give a --duration")
        limit = None if max_duration is None else self.now + seconds_to_index(max_duration, self.master_rate)
        while not self.done:
            if limit is not None and self.now >= limit:
                raise PsigraphError(f"not done after {max_duration:g} s of graph time", hint="check the graph")
            step = self.block if limit is None else min(self.block, limit - self.now)
            ends = [e for e in (n.end() for n in self._finite) if e is not None and e > self.now]
            if len(ends) == len(self._finite):            # every end is known: stop exactly at the last
                step = min(step, max(ends) - self.now)
            yield self.advance(step)
        end = self.now + seconds_to_index(tail, self.master_rate)
        while self.now < end:
            yield self.advance(min(self.block, end - self.now))

    def watch(self, ref: str) -> str:
        """Register output (or input) ``node.port`` for :meth:`advance`: each call returns what it
        produced since the previous call (arrays for signals, event lists for events). Before a run."""
        self._watches[ref] = self._attach(self._output_key(*split_ref(ref)), ref)
        return ref

    def port_spec(self, ref: str) -> tuple:
        """``(kind name, SignalSpec or None)`` of the output behind ``node.port`` (an input port
        names the output feeding it); raises a PsigraphError naming what is wrong."""
        nid, port = self._output_key(*split_ref(ref))
        kind, spec = next((k, s) for p, k, s in self.slots[nid].outputs if p == port)
        return kind.name, spec

    def add_tap(self, ref: str, *, capacity: int | None = None, every: int = 1) -> Tap:
        """A new bounded Tap on ``node.port`` at any time (also during a run), fed from the
        next chunk on; remove it with :meth:`remove_tap`. Call from the thread that advances."""
        return self._attach(self._output_key(*split_ref(ref)), ref, capacity, every)

    def remove_tap(self, tap: Tap) -> None:
        """Stop feeding ``tap`` (from :meth:`add_tap` or :meth:`tap`)."""
        for taps in self._taps.values():
            if tap in taps:
                taps.remove(tap)

    def unwatch(self, ref: str) -> None:
        tap = self._watches.pop(ref, None)
        if tap is not None:
            self.remove_tap(tap)

    def advance(self, n: int) -> dict:
        """The pacing primitive: process the next ``n`` master samples (in chunks of at most the
        session's block) and return ``{ref: new data}`` for every :meth:`watch` ed port.

        ``run``, ``say``, streaming, the real-time runner, the server and the editor all pace
        the graph through this one call."""
        self._process_to(self.now + int(n))
        if self._watches:
            self._drain()
        out = {}
        for ref, tap in self._watches.items():
            out[ref] = tap.take()
        return out

    def _process_to(self, end: int) -> None:
        """Process master time up to ``end`` in chunks of at most the block size."""
        step = self.block
        if self.loop_limit:
            step = min(step, self.loop_limit)
        start = time.perf_counter_ns()
        while self.now < end:
            t1 = min(end, self.now + step)
            self._chunk(self.now, t1)
            self.now = t1
        self._wall_ns += time.perf_counter_ns() - start

    def stream(self, ref: str, duration: float | None = None, block: int | None = None):
        """Yield the samples of ``ref`` block by block as they are computed, for ``duration``
        seconds (None: until the graph is done)."""
        self.watch(ref)
        step = int(block or self.block)
        try:
            if duration is None:
                blocks = self.until_done(None)
            else:
                blocks = self._blocks_until(self.now + seconds_to_index(duration, self.master_rate), step)
            for got in blocks:
                data = got[ref]
                if len(data):
                    yield data
        finally:
            self.unwatch(ref)
        self.finish()

    def _blocks_until(self, end: int, step: int):
        while self.now < end:
            yield self.advance(min(step, end - self.now))

    def flush(self) -> None:
        """Every node finishes what is pending (files stay under temporary names)."""
        self._stop_pipeline()
        for s in self.slots.values():
            self._guard(s, "flush", s.node.flush)

    def commit(self) -> None:
        """Publish every sink's output (after a successful flush of all of them)."""
        for s in self.slots.values():
            self._guard(s, "commit", s.node.commit)

    def finish(self) -> None:
        """Flush then commit: the outputs so far become visible, all or nothing."""
        self.flush()
        self.commit()

    def close(self) -> None:
        """Finish (flush + commit) and release every node (files, devices)."""
        try:
            self.finish()
        finally:
            self.abort()

    def abort(self) -> None:
        """Release every node without publishing anything not yet committed (after an error)."""
        try:
            self._stop_pipeline()
        except Exception:           # the failure being handled is the one to report
            pass
        for s in self.slots.values():
            try:
                s.node.close()
            except Exception:       # closing after a failure must not hide the failure
                pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def profile(self) -> dict:
        """Per node: calls, mean and max µs per call, share of real time."""
        sim_s = self.now / self.master_rate or 1e-12
        out = {}
        for nid, s in self.slots.items():
            out[nid] = {"calls": s.calls, "mean_us": (s.total_ns / s.calls / 1e3) if s.calls else 0.0,
                        "max_us": s.max_ns / 1e3, "share": s.total_ns / 1e9 / sim_s}
        return out

    def node(self, nid: str):
        """The live node instance (for inspection in tests and the editor)."""
        return self.slots[nid].node

    def _guard(self, s: _Slot, what: str, call) -> None:
        """Run a lifecycle call; a non-psigraph exception becomes one located error line."""
        try:
            call()
        except PsigraphError:
            raise
        except Exception as exc:
            raise PsigraphError(f"node {s.nid!r} ({type(s.node).type_id}) failed in {what}(): "
                                f"{type(exc).__name__}: {exc}", code="node.failed") from exc

    # ---- the scheduler ----------------------------------------------------------
    def _tell_readers(self) -> None:
        """``skip_unread``: tell each node that wants to know what of its signal outputs is read."""
        self._skip_unread = False
        readers: dict = {}
        for (dst, dport), edges in self.resolved.sources.items():
            reads = type(self.slots[dst].node).READS.get(dport)
            for e in edges:
                readers.setdefault((e.src, e.src_port), []).append(None if reads is None else frozenset(reads))
        for s in self.slots.values():
            if type(s.node).outputs_read is Node.outputs_read:    # computes everything: nothing to tell
                continue
            read = {}
            for port, kind, _ in s.outputs:
                if kind is not Signal:
                    continue
                key = (s.nid, port)
                got = readers.get(key, []) + ([None] if self._taps.get(key) else [])
                read[port] = None if None in got else frozenset().union(*got)
                if read[port] is not None:
                    self._partly_read.add(key)
            s.node.outputs_read(read)

    # ---- the pipeline (a part of the graph a chunk behind, on a second thread) ----------
    def _start_pipeline(self) -> None:
        """Choose the part that runs behind: every PIPELINE node and all downstream of it, when that
        part takes only signals from the rest, has no loop delay and nothing taps it."""
        self._pipeline_asked = False
        heads = [n for n in self.order if type(self.slots[n].node).PIPELINE]
        if not heads or _usable_cpus() < 2:
            return
        from psigraph import digraph
        reversed_edges = [(dst, e.src) for (dst, _), es in self.resolved.sources.items() for e in es]
        behind = set(heads)
        for h in heads:
            behind |= digraph.ancestors(reversed_edges, h)          # ancestors of the reversed graph: downstream
        for (dst, port), es in self.resolved.sources.items():
            if dst in behind and any(e.src not in behind for e in es):
                kind = next(i.kind for i in self.slots[dst].inputs if i.port == port)
                if kind is not Signal:
                    return
        if any(self.slots[n].loop_delay or self.slots[n].changes for n in behind) \
                or any(key[0] in behind for key, taps in self._taps.items() if taps):
            return
        self._behind = [self.slots[n] for n in self.order if n in behind]
        self._plain = [s for s in self._plain if s.nid not in behind]
        self._feeds = sorted({e_src for (dst, _), es in self.resolved.sources.items() if dst in behind
                              for e_src in ((e.src, e.src_port) for e in es) if e_src[0] not in behind})
        self._worker = _Behind(self._run_behind)
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, PIPELINE_SWITCH_S))

    def _run_behind(self, t0: int, t1: int, sig: dict) -> None:
        for s in self._behind:
            self._run_slot(s, t0, t1, sig)

    def _drain(self) -> None:
        """Wait for the chunks in flight (re-raises an error of theirs)."""
        if self._worker is not None:
            self._worker.wait(0)

    def _stop_pipeline(self) -> None:
        """Finish the chunk in flight; from now on every node runs on the calling thread."""
        try:
            self._drain()
        finally:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None
                sys.setswitchinterval(self._switch)
                self._plain = [self.slots[n] for n in self.order if not self.slots[n].loop_delay]
                self._behind = []

    def _chunk(self, t0: int, t1: int) -> None:
        if self._skip_unread:
            self._tell_readers()
        if self._pipeline_asked:
            self._start_pipeline()
        sig = self._sig
        loop = [s for s in self.slots.values() if s.loop_delay]
        for s in loop:                                  # loop delays speak first
            n = s.node
            n.t0, n.t1 = t0, t1
            c0 = time.perf_counter_ns()
            y = n.emit()
            s.calls += 1
            s.total_ns += time.perf_counter_ns() - c0
            self._store(s, {"y": y}, t0, t1, sig)
        run = self._run_slot
        for s in self._plain:
            run(s, t0, t1, sig)
        if self._worker is not None:
            self._worker.wait(PIPELINE_DEPTH - 1)       # bounded slack: at most PIPELINE_DEPTH chunks in flight
            self._worker.submit(t0, t1, {k: sig[k] for k in self._feeds})
        for s in loop:
            n = s.node
            n.t0, n.t1 = t0, t1
            n.absorb(sig[s.inputs[0].src])

    def _run_slot(self, s: _Slot, t0: int, t1: int, sig: dict) -> None:
        node = s.node
        cuts = None
        for inp in s.queued:
            q = inp.queue
            if q and q[0].t < t1 and not s.own_times:
                cuts = cuts or set()
                for e in q:
                    if e.t >= t1:
                        break
                    cuts.add(max(e.t, t0))
        if s.changes and s.changes[0][0] < t1:
            cuts = cuts or set()
            cuts.update(max(c[0], t0) for c in s.changes if c[0] < t1)
        if cuts is None:
            if not s.always:
                for p in s.periods:
                    if -(-t1 // p) != -(-t0 // p):
                        break
                else:
                    for port, kind, spec in s.outputs:   # nothing to do in this span
                        if kind is Signal:
                            sig[(s.nid, port)] = s.empty.setdefault(port, spec.empty())
                    return
            if not s.queued:                           # fast path: one span, signals only
                kwargs = {port: (sig[src] if src else None) for port, src in s.sig_inputs}
                node.t0, node.t1 = t0, t1
                out = self._call(s, kwargs, t0, t1)
                if len(s.outputs) == 1 and not isinstance(out, dict):
                    out = {s.outputs[0][0]: out}
                self._store(s, out or {}, t0, t1, sig)
                return
            cuts = set()
        cuts.discard(t0)
        bounds = [t0] + sorted(cuts) + [t1]
        full = {inp.port: sig[inp.src] for inp in s.inputs if inp.kind is Signal and inp.src}
        parts: dict[str, list] = {}
        for a, b in zip(bounds, bounds[1:]):
            node.t0, node.t1 = a, b
            due = _count_due(s.changes, a + 1, key=lambda c: c[0])
            for _, _, name, value in s.changes[:due]:
                node.set_params(node.params.replace(**{name: value}))
            del s.changes[:due]
            kwargs = {}
            for inp in s.inputs:
                if inp.kind is Signal:
                    if inp.src is None:
                        kwargs[inp.port] = None
                        continue
                    arr = full[inp.port]
                    if len(bounds) == 2:
                        kwargs[inp.port] = arr
                    else:
                        off = ticks_in(t0, a, inp.period)[1]
                        n = ticks_in(a, b, inp.period)[1]
                        kwargs[inp.port] = arr[off:off + n]
                elif inp.kind is Events:
                    due = _count_due(inp.queue, b)
                    kwargs[inp.port] = inp.queue[:due]
                    del inp.queue[:due]
                else:
                    due = _count_due(inp.queue, b)
                    if due:
                        inp.value = inp.queue[due - 1].payload
                        del inp.queue[:due]
                    kwargs[inp.port] = inp.value
            out = self._call(s, kwargs, a, b)
            if len(s.outputs) == 1 and not isinstance(out, dict):
                out = {s.outputs[0][0]: out}
            for port, kind, _ in s.outputs:
                parts.setdefault(port, []).append(None if out is None else out.get(port))
        merged = {}
        for port, kind, spec in s.outputs:
            chunks = parts.get(port, [])
            if kind is Signal:
                merged[port] = chunks[0] if len(chunks) == 1 else np.concatenate(
                    [c if c is not None else np.zeros((0, spec.channels)) for c in chunks])
            elif kind is Events:
                merged[port] = [e for c in chunks if c for e in c]
            else:
                vals = [c for c in chunks if c is not None]
                merged[port] = vals[-1] if vals else None
        self._store(s, merged, t0, t1, sig)

    def _call(self, s: _Slot, kwargs: dict, a: int, b: int):
        c0 = time.perf_counter_ns()
        try:
            out = s.node.process(**kwargs)
        except PsigraphError:
            raise
        except Exception as exc:
            raise PsigraphError(f"node {s.nid!r} ({type(s.node).type_id}) failed in span "
                                f"[{a}, {b}): {type(exc).__name__}: {exc}") from exc
        dt = time.perf_counter_ns() - c0
        s.calls += 1
        s.total_ns += dt
        if dt > s.max_ns:
            s.max_ns = dt
        return out

    def _store(self, s: _Slot, out: dict, t0: int, t1: int, sig: dict) -> None:
        for port, kind, spec in s.outputs:
            val = out.get(port)
            key = (s.nid, port)
            if kind is Signal:
                p = spec.period
                k0 = -(-t0 // p)
                n = -(-t1 // p) - k0
                shape = getattr(val, "shape", None)
                if shape is None or len(shape) != 2 or shape[0] != n or shape[1] != spec.channels:
                    got = getattr(val, "shape", type(val).__name__)
                    raise PsigraphError(f"node {s.nid!r} ({type(s.node).type_id}) returned {got} on port {port!r} "
                                        f"for span [{t0}, {t1}); expected shape ({n}, {spec.channels})")
                sig[key] = val
                if key in self._taps:
                    for tap in self._taps[key]:
                        tap.push(val, k0)
                continue
            if kind is Events:
                evs = [e if e.t >= t0 else e._replace(t=t0) for e in (val or [])]
            else:
                evs = [] if val is None else [Event(t0, "value", val)]
            if not evs:
                continue
            for tap in self._taps.get(key, ()):
                tap.push(evs)
            for inp in s.consumers.get(port, ()):
                _enqueue(inp.queue, evs)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):     # not Linux
        return os.cpu_count() or 1


class _Behind:
    """The pipeline's thread: runs ``run(t0, t1, sig)`` for each submitted chunk, in order."""

    def __init__(self, run):
        import queue
        import threading
        self._jobs, self._done = queue.SimpleQueue(), queue.SimpleQueue()
        self._pending, self._error, self._raised = 0, None, False
        self._thread = threading.Thread(target=self._loop, args=(run,), name="psigraph-pipeline", daemon=True)
        self._thread.start()

    def _loop(self, run) -> None:
        failed = False
        while (job := self._jobs.get()) is not None:
            if failed:                          # after an error the later chunks are not run
                self._done.put(None)
                continue
            try:
                run(*job)
                self._done.put(None)
            except BaseException as exc:        # handed to the thread that waits
                failed = True
                self._done.put(exc)

    def submit(self, *job) -> None:
        self._jobs.put(job)
        self._pending += 1

    def wait(self, most: int) -> None:
        """Until at most ``most`` chunks are in flight; raises the first error of a chunk (once)."""
        while self._pending > most:
            exc = self._done.get()
            self._pending -= 1
            if exc is not None and self._error is None:
                self._error = exc
        if self._error is not None and not self._raised:
            self._raised = True
            raise self._error

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join()


def _enqueue(queue: list, evs: list) -> None:
    """Insert events into a time-sorted queue, each after those of the same time already there (the order
    bisect.insort gives), in one pass when they come in order after the queue's last (the usual case)."""
    ordered = all(a.t <= b.t for a, b in zip(evs, evs[1:]))
    if ordered and (not queue or queue[-1].t <= evs[0].t):
        queue.extend(evs)
    else:
        for e in evs:
            bisect.insort(queue, e, key=lambda e: e.t)


def _count_due(queue: list, before: int, key=lambda e: e.t) -> int:
    """How many items at the head of a time-sorted queue are due before master index ``before``."""
    return bisect.bisect_left(queue, before, key=key)


def node_seed(graph_seed: int, node_id: str) -> int:
    """The seed a node gets: the graph seed mixed with its id (stable across runs and block sizes)."""
    return (int(graph_seed) * 1_000_003 + zlib.crc32(node_id.encode())) & 0x7FFFFFFF


def _redirect_paths(graph: Graph, out_dir: str) -> None:
    """Put every relative ``path`` param of a sink under ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    for spec in graph.nodes.values():
        p = spec.params.get("path")
        if p is None and registry.has(spec.type):            # a sink left at its default path
            fields = {f.name: f for f in registry.get(spec.type).Params.fields()}
            p = fields["path"].default if "path" in fields else None
        if isinstance(p, str) and p and not os.path.isabs(p):
            spec.params["path"] = os.path.join(out_dir, p)


def _insert_edge_delays(graph: Graph) -> None:
    """Replace every edge with ``delay: N`` by an explicit delay node (ticks=N)."""
    new_edges = []
    for i, e in enumerate(graph.edges):
        if not e.delay:
            new_edges.append(e)
            continue
        nid = f"_delay_{e.src}_{e.src_port}_{e.dst}_{e.dst_port}"
        graph.nodes[nid] = NodeSpec("delay", {"ticks": int(e.delay)})
        new_edges += [Edge(e.src, e.src_port, nid, "x"), Edge(nid, "y", e.dst, e.dst_port)]
    graph.edges = new_edges


def _nodes_on_delay_loops(res: Resolved) -> set:
    from psigraph import digraph
    edges = [(e.src, dst) for (dst, _), es in res.sources.items() for e in es]
    out = set()
    for comp in digraph.strongly_connected_components([], edges):
        if len(comp) > 1:
            out |= comp
    return out
