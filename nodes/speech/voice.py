"""The oscillator voice as a pure processor (the ``voice`` node wraps it).

:class:`VoiceSynth` turns a control-rate tract track (rows in the order of
``channels``) into audio at the master rate. Time is absolute: ``render(t0,
rows, n)`` renders samples t0..t0+n−1 given the control rows whose tick time
k·period lies in that span. Any split of time gives bit-identical audio.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import kernels as K
from psigraph.kernels.tract import REST

__all__ = ["VoiceSynth", "VoiceQuality", "VoiceState"]

# The harmonics' phase follows the row's own formants (bandwidths widened to at least PHASE_BW Hz, the
# formants followed with a PHASE_TAU s lag) rather than a fixed neutral tract, so a vowel's waveform rings
# at its own formants. Followed without lag, DNSMOS OVRL rose as much but the fast phase swings bent the
# period (median f0 error up to 9 cents against a 5-cent bar); with a 40 ms lag f0 stays within 4 cents
# (benchmarks/voice_dnsmos.py, variants tract-phase*; PHASE_BW = 0: the fixed neutral tract).
PHASE_BW = 10.0
PHASE_TAU = 0.04


@dataclass(frozen=True)
class VoiceQuality:
    """Speaker constants of the source (from the persona)."""

    breathiness: float = 0.08
    jitter: float = 0.005
    shimmer: float = 0.03
    vibrato_cents: float = 0.0
    vibrato_hz: float = 5.0
    tremolo: float = 0.0
    tilt: float = 1.0            # source slope in units of -6 dB/octave
    effort: float = 0.0          # vocal effort: flattens the slope by this much (a firmer, brighter voice)
    gain: float = 0.08

    @classmethod
    def from_persona(cls, persona, **kw) -> "VoiceQuality":
        return cls(breathiness=float(persona.breathiness), jitter=float(persona.jitter),
                   shimmer=float(persona.shimmer), vibrato_cents=float(persona.vibrato_cents),
                   vibrato_hz=float(persona.vibrato_hz), **kw)

    def prm(self) -> np.ndarray:
        p = np.zeros(K.N_PRM)
        p[K.P_BREATH] = self.breathiness
        p[K.P_JITTER] = self.jitter
        p[K.P_SHIMMER] = self.shimmer
        p[K.P_VIBD] = 2.0 ** (self.vibrato_cents / 1200.0) - 1.0
        p[K.P_VIBR] = self.vibrato_hz
        p[K.P_TREMD] = self.tremolo
        p[K.P_TREMR] = 5.5
        p[K.P_TILT] = self.tilt - self.effort
        p[K.P_GAIN] = self.gain
        p[K.P_ASP] = 1.6
        p[K.P_FRIC] = 2.0
        p[K.P_BURST] = 1.2          # 6 dB below the earlier 2.5: bursts were 6-12 dB too strong
        # the source as a glottal pulse (issue 15, DNSMOS): harmonics in the phases of a flow-derivative
        # pulse, breath noise only while the glottis is open, the tract's phase from its formants
        p[K.P_PULSE] = 1.0
        p[K.P_ASP_GATE] = 1.0
        p[K.P_PHASE_BW] = PHASE_BW
        p[K.P_PHASE_TAU] = PHASE_TAU
        return p


@dataclass
class VoiceState:
    """Carried kernel state (picklable)."""

    st: np.ndarray = None
    rows: np.ndarray = None
    amp: np.ndarray = None
    res: np.ndarray = None
    coef: np.ndarray = None

    def __post_init__(self):
        if self.st is None:
            self.st, self.rows, self.amp, self.res, self.coef = K.new_state()


class VoiceSynth:
    """Harmonic-bank voice; ``channels`` are the labels of the incoming rows."""

    def __init__(self, channels, quality: VoiceQuality | None = None, fs: int = 24000,
                 period: int = 120, seed: int = 0):
        self.fs, self.period, self.seed = int(fs), int(period), int(seed) & 0x7FFFFFFF
        self.quality = quality or VoiceQuality()
        self.prm = self.quality.prm()
        labels = list(channels)
        self.take = np.array([labels.index(c) if c in labels else -1 for c in K.VCH], dtype=np.int64)
        self.const = np.array([REST.get(c, 0.0) for c in K.VCH], dtype=np.float64)
        self.state = VoiceState()

    def reset(self) -> None:
        self.state = VoiceState()

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((rows.shape[0], K.NV))
        for j, c in enumerate(self.take):
            out[:, j] = rows[:, c] if c >= 0 else self.const[j]
        return out

    def render(self, t0: int, rows: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """Audio for master samples t0..t0+n-1 (float64)."""
        if out is None:
            out = np.empty(n)
        if n == 0:
            return out
        s = self.state
        K._voice_render(self._rows(np.asarray(rows, dtype=np.float64)), np.int64(t0), np.int64(self.period),
                        float(self.fs), self.prm, np.int64(self.seed), s.st, s.rows, s.amp, s.res, s.coef, out)
        return out
