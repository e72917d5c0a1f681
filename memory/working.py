"""Working memory: what the last 5–10 s of listening left behind, kept through the ψ-memory.

The slow oscillator is a psi_core role (``working``, period ≈ 5 s = 0.2 Hz, pulled by the macro band
that phrase boundaries entrain; docs/LISTENING_REPLY.md gives the role). The ``working_memory`` node
integrates, with one time constant ``tau_s`` (7.5 s by default: a window of about 5–10 s):

* the oscillator itself, ``wm:x``/``wm:y`` = the leaky mean of amp·(cos θ, sin θ) of the role — its
  length says how steady the slow rhythm has been, its angle where in the slow cycle it stands;
* what was heard, as leaky counts (events in the last ≈ ``tau_s``): ``wm:syllables``
  (syllable_onset), ``wm:phrases`` (phrase_boundary) and ``wm:surprises`` (surprise; a value ≥ 3
  means repeated surprise).

Each leaky quantity q follows q ← q·e^(−Δt/τ) per control tick (+1 per event for the counts; + the
tick's value·(1 − e^(−Δt/τ)) for the mean), so the output does not depend on the block size. Every
``every_s`` (2 s) of run time, when ``path`` names a store, the row is stored as one macro frame of a
"working memory" utterance (its text is never kept); snapshots older than ``keep_s`` (60 s) are
pruned, in batches, without reclaiming the space each time; :meth:`WorkingMemory.flush` compacts
the file once at the end of a run.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from psigraph import chain
from psigraph.errors import Issue
from psigraph.node import Node
from psigraph.outputs import path_issues
from psigraph.params import Params, param
from psigraph.ports import Events, In, Out, Signal, SignalSpec

__all__ = ["WorkingMemory", "WorkingMemoryParams", "LABELS", "ROLE", "WORKING_ROLE", "SNAPSHOT_TEXT"]

ROLE = "working_memory"
#: the psi_core role of the slow oscillator (add it to the core's roles)
WORKING_ROLE = {"name": "working", "period_ms": 5000.0, "band": chain.MACRO, "pull": 0.2, "amp": 1.0}
LABELS = ("wm:x", "wm:y", "wm:syllables", "wm:phrases", "wm:surprises")
COUNTED = {chain.SYLLABLE_ONSET: 2, chain.PHRASE_BOUNDARY: 3, chain.SURPRISE: 4}
SNAPSHOT_TEXT = "working memory"
MACRO_BAND = 2
PRUNE_BATCH = 5                     # prune once this many snapshots are past keep_s


class WorkingMemoryParams(Params):
    path: str = param("", doc="ψ-memory store for the snapshots ('': none; the memory is still output)")
    key_file: str = param("", doc="file holding the store key (empty: $PSIGRAPH_DB_KEY, else unencrypted)")
    role: str = param(WORKING_ROLE["name"], doc="the psi_core role of the slow (≈ 0.2 Hz) oscillator")
    tau_s: float = param(7.5, ge=0.5, le=120.0, unit="s", doc="integration time constant (the span remembered)")
    every_s: float = param(2.0, ge=0.1, le=600.0, unit="s", doc="store a snapshot this often")
    keep_s: float = param(60.0, ge=1.0, le=86400.0, unit="s", doc="prune snapshots older than this")
    persona: str = param("default", doc="the persona the snapshots belong to")


@dataclass
class WorkingState:
    row: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)))
    tick: int = 0                                   # next control tick
    saved: list = field(default_factory=list)       # (tick, utterance id) of the stored snapshots
    stored: int = 0
    pruned: bool = False                            # pruned since the file was last compacted


class WorkingMemory(Node[WorkingMemoryParams]):
    """Leaky integrals (≈ the last tau_s) of the slow oscillator and of what was heard; stored every every_s."""

    type_id = "working_memory"
    category = "memory"
    ROLE = ROLE
    CORE_ROLE = WORKING_ROLE            # what to add to psi_core's roles (commands find it by type id)
    state = In(Signal, rate=chain.CONTROL, doc="ψ-state with phase:/amp: of the slow role")
    events = In(Events, optional=True, doc="listening events to count: syllable_onset, phrase_boundary, surprise")
    memory = Out(Signal, rate=chain.CONTROL, channels=len(LABELS), labels=LABELS,
                 doc="wm:x, wm:y (slow oscillator), leaky counts wm:syllables, wm:phrases, wm:surprises")

    @classmethod
    def example_input_specs(cls, params, timebase):
        labels = (chain.phase_label(params.role), chain.amp_label(params.role), "AV")
        p = timebase.period(chain.CONTROL)
        return {"state": SignalSpec(p, len(labels), "float64", labels, float(timebase.master_rate / p))}

    @classmethod
    def check(cls, params, inputs) -> list:
        issues = []
        if params.path:
            from .nodes import _key_issues, _open_issues
            issues += path_issues(params.path) + _key_issues(params.key_file)
            if not issues and os.path.exists(params.path):
                issues += _open_issues(params.path, params.key_file)
        spec = inputs.get("state")
        if spec is not None and chain.phase_label(params.role) not in spec.labels:
            issues.append(Issue("inputs.state", f"the state has no slow oscillator '{chain.phase_label(params.role)}': "
                                f"add the role {WORKING_ROLE} to psi_core's roles", code="input.missing_channel"))
        if params.every_s >= params.keep_s:
            issues.append(Issue("params.keep_s", f"keep_s ({params.keep_s}) must be longer than every_s "
                                f"({params.every_s}), or nothing is kept", code="param.range"))
        return issues

    def reset(self):
        spec = self.in_specs["state"]
        labels = list(spec.labels)
        self.ip = labels.index(chain.phase_label(self.params.role))
        amp = chain.amp_label(self.params.role)
        self.ia = labels.index(amp) if amp in labels else -1
        self.control_hz = float(spec.rate_hz)
        self.decay = math.exp(-1.0 / (self.params.tau_s * self.control_hz))
        self.every = max(1, int(round(self.params.every_s * self.control_hz)))
        self.keep = int(round(self.params.keep_s * self.control_hz))
        self.state = WorkingState()
        self._store = None

    def process(self, state, events=None):
        st = self.state
        period = self.in_specs["state"].period
        n = len(state)
        out = np.empty((n, len(LABELS)))
        hits = {}
        for e in events or ():
            col = COUNTED.get(e.kind)
            if col is not None:
                k = max(-(-int(e.t) // period), st.tick)             # the first tick at or after the event
                hits.setdefault(k, []).append(col)
        row = st.row
        gain = 1.0 - self.decay
        for j in range(n):
            k = st.tick + j
            a = float(state[j, self.ia]) if self.ia >= 0 else 1.0
            th = float(state[j, self.ip])
            row[:2] = self.decay * row[:2] + gain * a * np.array([math.cos(th), math.sin(th)])
            row[2:] *= self.decay
            for col in hits.get(k, ()):
                row[col] += 1.0
            out[j] = row
            if self.params.path and (k + 1) % self.every == 0:
                self._snapshot(k, row)
        st.tick += n
        return out

    # ---- the ψ-memory ------------------------------------------------------------
    def _open(self):
        if self._store is None:
            from .nodes import open_store
            self._store = open_store(self.params.path, self.params.key_file, create=True)
        return self._store

    def _snapshot(self, k: int, row: np.ndarray) -> None:
        """Store ``row`` as one macro frame (the every_s ending at tick k); prune what is older than keep_s."""
        st = self.state
        store = self._open()
        dur_ms = int(round(1000.0 * self.every / self.control_hz))
        rec = store.begin(SNAPSHOT_TEXT, persona=self.params.persona)
        try:
            rec.add(MACRO_BAND, 0, min(dur_ms, 32767), row.astype(np.float64))
            uid = rec.commit(dur_ms, list(LABELS), ["linear"] * len(LABELS), self.control_hz,
                             signature={"working_memory": {"tick": int(k + 1), "t_s": (k + 1) / self.control_hz,
                                                           "tau_s": self.params.tau_s,
                                                           "labels": list(LABELS),
                                                           "row": [float(x) for x in row]}})
        except BaseException:
            rec.abort()
            raise
        st.saved.append((k + 1, uid))
        st.stored += 1
        old = [uid for t, uid in st.saved if k + 1 - t > self.keep]
        if len(old) >= PRUNE_BATCH:
            self._prune(old)

    def _prune(self, ids) -> None:
        st = self.state
        self._open().forget(ids, reclaim=False)
        st.pruned = True
        gone = set(ids)
        st.saved = [(t, uid) for t, uid in st.saved if uid not in gone]

    def flush(self):
        """At the end of a run: prune every snapshot already past keep_s."""
        if self._store is not None:
            old = [uid for t, uid in self.state.saved if self.state.tick - t > self.keep]
            if old:
                self._prune(old)
            if self.state.pruned:
                self._store.compact()
                self.state.pruned = False

    def close(self):
        if self._store is not None:
            try:
                self._store.close()
            finally:
                self._store = None
