"""A synthetic ψ-state (tract channels + emotion) and a matching test voice, for face tests and benchmarks.

Until the speech chain drives the face, this stands in for it: phones with jaw/lip
targets approached by critically damped 2nd-order smoothing at control rate (as the
planner's ``smooth`` targets), and an audio buzz whose amplitude follows AV and the
jaw read at audio times by the same interpolation the face uses (SPEECH_CHAIN §3).
"""
from __future__ import annotations

import numpy as np

from psigraph import chain
from psigraph.timebase import DEFAULT_MASTER_RATE, DEFAULT_RATES

from .animator import hash01

#: the default timebase's control rate and master rate (the synthetic track is made without a graph)
CONTROL_HZ = DEFAULT_RATES[chain.CONTROL]
MASTER_RATE = DEFAULT_MASTER_RATE

LABELS = ("jaw", "lip_ap", "lip_round", "lip_spread", "tongue_tip", "viseme", "AV", "valence",
          "arousal", "dominance", "loud")
#          jaw   lip_ap round spread tip   AV    viseme
PHONES = {
    "p": (0.08, -0.6, 0.0, 0.0, 0.0, 0.0, "PP"), "b": (0.08, -0.6, 0.0, 0.0, 0.0, 0.3, "PP"),
    "m": (0.08, -0.6, 0.0, 0.0, 0.0, 0.8, "PP"), "f": (0.12, 0.15, 0.0, 0.0, 0.0, 0.0, "FF"),
    "t": (0.15, 0.35, 0.0, 0.1, 1.0, 0.0, "DD"), "s": (0.1, 0.3, 0.0, 0.3, 0.8, 0.0, "SS"),
    "k": (0.2, 0.4, 0.0, 0.0, 0.0, 0.0, "kk"), "n": (0.15, 0.35, 0.0, 0.0, 1.0, 0.8, "nn"),
    "aa": (0.75, 0.9, 0.0, 0.0, 0.0, 1.0, "aa"), "E": (0.45, 0.7, 0.0, 0.4, 0.0, 1.0, "E"),
    "ih": (0.25, 0.5, 0.0, 0.8, 0.0, 1.0, "ih"), "oh": (0.5, 0.5, 0.7, 0.0, 0.0, 1.0, "oh"),
    "ou": (0.25, 0.3, 1.0, 0.0, 0.0, 1.0, "ou"), "sil": (0.05, 0.4, 0.0, 0.0, 0.0, 0.0, "sil"),
}
CONS, VOWELS = ("p", "b", "m", "f", "t", "s", "k", "n"), ("aa", "E", "ih", "oh", "ou")


def synthetic_state(duration: float, seed: int = 0, emotion=(0.0, 0.0, 0.0), rate: float = CONTROL_HZ,
                    tau_ms: float = 22.0):
    """Control rows (n, len(LABELS)), LABELS and the phone list [(start_s, end_s, phone)].

    Bilabials aim past closure (lip_ap target −0.6, clipped at 0), as lips compress in speech.
    """
    from .arkit import VISEME_INDEX
    n = int(round(duration * rate))
    phones, t, i = [], 0.25, 0
    while t < duration - 0.6:
        for syl in range(1 + int(3 * hash01(seed, 1, i))):
            c = CONS[int(len(CONS) * hash01(seed, 2, i))]
            v = VOWELS[int(len(VOWELS) * hash01(seed, 3, i))]
            dc = 0.06 + 0.05 * hash01(seed, 4, i)
            dv = 0.10 + 0.10 * hash01(seed, 5, i)
            phones += [(t, t + dc, c), (t + dc, t + dc + dv, v)]
            t += dc + dv
            i += 1
        phones.append((t, t + 0.2 + 0.3 * hash01(seed, 6, i), "sil"))
        t = phones[-1][1]
    target = np.tile(np.array(PHONES["sil"][:6]), (n, 1))
    vis = np.zeros(n)
    for a, b, ph in phones:
        k0, k1 = int(round(a * rate)), min(n, int(round(b * rate)))
        target[k0:k1] = PHONES[ph][:6]
        vis[k0:k1] = VISEME_INDEX[PHONES[ph][6]]
    # critically damped second-order smoothing, per control tick (exact discretisation not needed)
    w = 1000.0 / tau_ms / rate
    y, dy = target[0].copy(), np.zeros(6)
    out = np.zeros((n, len(LABELS)))
    for k in range(n):
        acc = w * w * (target[k] - y) - 2 * w * dy
        dy = dy + acc
        y = y + dy
        out[k, :5] = np.clip([y[0], y[1], y[2], y[3], y[4]], 0, 1)
        out[k, 6] = np.clip(y[5], 0, 1)
    out[:, 5] = vis
    out[:, 7:10] = emotion
    out[:, 10] = out[:, 6] * 0.8
    return out, LABELS, phones


def read_at(rows: np.ndarray, times: np.ndarray, period: int) -> np.ndarray:
    """SPEECH_CHAIN §3: control rows read at master times as the voice reads them (linear between ticks k−1 and k)."""
    from .animator import interp_control
    return interp_control(rows, 0, times, period)


def synthetic_audio(rows: np.ndarray, labels=LABELS, sr: int = MASTER_RATE, master: int = MASTER_RATE,
                    rate: float = CONTROL_HZ, seed: int = 0):
    """A buzz whose amplitude is AV·(0.3 + jaw), read at audio times as the voice reads the control rows
    (one tick behind, SPEECH_CHAIN §3); mono float in [-1, 1]. ``rate``: the rows' control rate (Hz)."""
    period = int(round(master / rate))
    n = len(rows) * period
    t = np.arange(n, dtype=np.int64) * (master // sr)
    v = read_at(rows, t, period)
    av, jaw = v[:, labels.index("AV")], v[:, labels.index("jaw")]
    ph = 2 * np.pi * 120.0 * t / master
    buzz = np.sign(np.sin(ph)) * 0.3 + 0.2 * np.sin(3 * ph)
    return (av * (0.3 + jaw) * buzz * 0.9).astype(np.float64)


def _source_cls():
    """The ``face_synthetic_state`` node class (built lazily; register it in tests/benchmarks)."""
    from psigraph.node import Node
    from psigraph.params import Params, param
    from psigraph.ports import Out, Signal

    class SyntheticStateParams(Params):
        duration: float = param(5.0, gt=0, unit="s", doc="length of the synthetic utterance stream")
        seed: int = param(0, doc="phone sequence seed")
        emotion: list = param([0.0, 0.0, 0.0], doc="valence, arousal, dominance")

    class SyntheticState(Node[SyntheticStateParams]):
        """Synthetic ψ-state (tract channels + emotion) for face tests."""

        type_id = "face_synthetic_state"
        category = "testing"
        state = Out(Signal, rate=chain.CONTROL, channels=len(LABELS), labels=LABELS)

        def reset(self):
            p = self.params
            self.rows = synthetic_state(p.duration, p.seed, tuple(p.emotion), rate=self.out_specs["state"].rate_hz)[0]

        def process(self):
            k0, n = self.ticks("state")
            out = np.tile(self.rows[-1], (n, 1))
            idx = np.arange(k0, k0 + n)
            ok = idx < len(self.rows)
            out[ok] = self.rows[idx[ok]]
            return out

    return SyntheticState


SyntheticState = None


def source_node():
    global SyntheticState
    if SyntheticState is None:
        SyntheticState = _source_cls()
    return SyntheticState
