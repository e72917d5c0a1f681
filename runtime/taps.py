"""Taps: observe any port without changing results (bounded, decimated ring buffers)."""
from __future__ import annotations

import threading

import numpy as np


class Tap:
    """Samples (or events) seen on one output port.

    ``capacity`` bounds memory (the newest samples are kept, as a scope needs);
    ``every`` keeps one sample in ``every`` by absolute tick index, so the result
    does not depend on the block size. ``np.asarray(tap)`` gives the samples.
    """

    def __init__(self, ref: str, kind: str, channels: int = 1, capacity: int | None = None, every: int = 1):
        self.ref, self.kind, self.channels = ref, kind, channels
        self.capacity, self.every = capacity, max(1, int(every))
        self._chunks: list = []
        self._count = 0
        self.first_tick = None
        self.last_tick = None            # port tick of the newest kept sample (signals)
        self._lock = threading.Lock()
        self.events: list = []

    def push(self, block, k0: int = 0) -> None:
        if self.kind != "signal":
            with self._lock:
                self.events.extend(block)
                if self.capacity and len(self.events) > self.capacity:
                    del self.events[: len(self.events) - self.capacity]
            return
        if len(block) == 0:
            return
        if self.every > 1:
            start = (-k0) % self.every
            block = block[start:: self.every]
            k0 += start
            if len(block) == 0:
                return
        with self._lock:
            if self.first_tick is None:
                self.first_tick = k0
            self.last_tick = k0 + (len(block) - 1) * self.every
            self._chunks.append(np.array(block, copy=True))
            self._count += len(block)
            if self.capacity and self._count > 2 * self.capacity:
                self._compact()

    def _compact(self):
        data = np.concatenate(self._chunks)
        if self.capacity and len(data) > self.capacity:
            data = data[-self.capacity:]
        self._chunks, self._count = [data], len(data)

    @property
    def data(self) -> np.ndarray:
        """All kept samples, shape (n, channels) (events: the list of events)."""
        if self.kind != "signal":
            return self.events  # type: ignore[return-value]
        with self._lock:
            if not self._chunks:
                return np.zeros((0, self.channels))
            self._compact()
            return self._chunks[0]

    def take(self):
        """Everything collected since the last take (signals: an array; events: a list), then clear."""
        with self._lock:
            if self.kind != "signal":
                out, self.events = self.events, []
                return out
            if not self._chunks:
                return np.zeros((0, self.channels))
            out = self._chunks[0] if len(self._chunks) == 1 else np.concatenate(self._chunks)
            self._chunks, self._count = [], 0
            return out

    def clear(self) -> None:
        with self._lock:
            self._chunks, self._count, self.events = [], 0, []

    def snapshot(self):
        """A consistent copy for another thread (a scope): signals ``(last_tick, samples)`` with
        the newest ``capacity`` samples; events ``(None, list of events)``."""
        with self._lock:
            if self.kind != "signal":
                return None, list(self.events)
            if not self._chunks:
                return None, np.zeros((0, self.channels))
            self._compact()
            return self.last_tick, self._chunks[0].copy()

    def __array__(self, dtype=None, copy=None):
        d = np.asarray(self.data)
        return d.astype(dtype) if dtype is not None else d

    def __len__(self):
        return len(self.data)

    def __getitem__(self, item):
        return self.data[item]

    @property
    def shape(self):
        return np.asarray(self.data).shape

    def __repr__(self):
        return f"<Tap {self.ref} {self.kind} n={len(self)}>"
