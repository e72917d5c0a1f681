"""Numba kernels of the ``voice`` node: harmonic oscillator bank + shaped counter-based noise.

Per control tick (every ``period`` master samples) the harmonic coefficients
a_h + j·b_h are computed from the tract row of that tick: magnitude
|S(h·f0)·H(h·f0)·HPC(h·f0)| (S: glottal source spectrum with tilt; H: cascade
of 5 formant resonators and a nasal pole/zero pair, as analog responses; HPC:
Fant's higher-pole correction), phase from a glottal flow-derivative pulse
(closure at θ = 0) through the tract's own formants low-passed over ``P_PHASE_TAU``
(40 ms) with bandwidths of at least ``P_PHASE_BW`` (or, with ``P_PHASE_BW`` = 0,
a fixed neutral tract), so moving formants bend the harmonics' phases only
slowly and the periodicity stays that of the glottal oscillator. Between ticks the coefficients are
interpolated linearly (the §3 rule of docs/SPEECH_CHAIN.md), and per sample

    x = AV · Σ_h a_h cos(hθ) − b_h sin(hθ)

with cos(hθ), sin(hθ) from a Chebyshev recurrence on the glottal phase θ
(one cos and one sin per sample). Noise is a hash of (seed, stream, sample
index); breath noise flows only in the open phase of the glottal cycle;
aspiration goes through time-domain formant resonators, frication and
bursts through two band-pass resonators at FF/FB. Everything depends only on
absolute sample indices and carried state, so any block split is bit-identical.
"""
from __future__ import annotations

import math

import numpy as np

from psigraph.kernels import njit
from psigraph.kernels.hash import _splitmix64

from .phonetics import NASAL_POLE_HZ, NASAL_ZERO_SPAN

# voice channel order (the node maps state labels to this order)
VCH = ("f0", "F1", "F2", "F3", "F4", "F5", "B1", "B2", "B3", "B4", "B5",
       "AV", "AH", "AF", "FF", "FB", "AB", "AN", "arousal", "loud", "valence", "dominance")
NV = len(VCH)
MAXH = 240
N_ST = 8          # scalar state: theta, cycle, jit, shim, started, rows_seen, prev_f0, spare
N_RES = 24        # resonator memories (0-17), the formants the harmonics' phases follow (19-23)
N_COEF = 24       # resonator coefficients of the current tick
# prm layout
(P_BREATH, P_JITTER, P_SHIMMER, P_VIBD, P_VIBR, P_TREMD, P_TREMR, P_TILT, P_GAIN, P_ASP, P_FRIC, P_BURST,
 P_PULSE, P_ASP_GATE, P_PHASE_BW, P_PHASE_TAU) = range(16)
N_PRM = 16

_TWO_PI = 2.0 * math.pi
HPC_STEP = 10.0
_KNEE = 0.7           # output soft-limiter knee
_FIXED_PHASE = True   # harmonic phases from a fixed neutral tract (see _harmonics)


def _hpc_table(fmax: float = 12500.0, step: float = HPC_STEP) -> np.ndarray:
    """Higher-pole correction (Fant): the poles F6, F7, ... of a 17.5 cm tube
    (F_n = 500·(2n−1) Hz, bandwidth 0.2·F_n) that a 5-formant cascade leaves
    out; without it the envelope falls ~50 dB too low by 5 kHz."""
    f = np.arange(0.0, fmax + step, step)
    lg = np.zeros_like(f)
    for n in range(6, 80):
        fn = 500.0 * (2 * n - 1)
        lg -= np.log(np.abs(1.0 - (f / fn) ** 2 + 1j * f * 0.2 / fn))
    return np.exp(lg)


_HPC = _hpc_table()

OPEN_QUOTIENT = 0.6     # open phase / period of a modal voice
SPEED_QUOTIENT = 2.0    # opening / closing time of the flow pulse (a skewed pulse: abrupt closure)
_N_PULSE = 4096


def _flow_pulse(oq: float = OPEN_QUOTIENT, sq: float = SPEED_QUOTIENT, n: int = _N_PULSE) -> np.ndarray:
    """One period of a Rosenberg-type glottal flow (peak 1), the closure at sample 0 (= n):
    a raised-cosine opening over tp, a quarter-cosine closing over tn = tp / sq that ends
    abruptly, then the closed phase."""
    te = oq * n
    tp = te * sq / (1.0 + sq)
    t = np.arange(n) - (n - te)          # t = 0 at the opening, te at the closure (index n = 0)
    u = np.zeros(n)
    rise = (t >= 0) & (t < tp)
    u[rise] = 0.5 * (1.0 - np.cos(np.pi * t[rise] / tp))
    fall = (t >= tp) & (t < te)
    u[fall] = np.cos(0.5 * np.pi * (t[fall] - tp) / (te - tp))
    return u


def _pulse_phase(maxh: int = 240) -> np.ndarray:
    """(maxh, 2) cos and sin of the phase of harmonics 1..maxh of the flow derivative (the
    excitation a glottal pulse radiates), so the main excitation (the closure) falls at θ = 0."""
    u = _flow_pulse()
    du = np.diff(np.append(u, u[0]))
    g = np.fft.rfft(du)[1:maxh + 1]
    g = g / np.maximum(np.abs(g), 1e-30)
    return np.ascontiguousarray(np.stack([g.real, g.imag], axis=1))


_PULSE = _pulse_phase()
# the flow over one cycle (θ = 0 at the closure), for gating the aspiration to the open phase;
# scaled to the mean square of the former raised cosine 0.5 + 0.5·cos θ (3/8), same breath level
_FLOW = _flow_pulse(n=256)
_FLOW = np.append(_FLOW, _FLOW[0]) * math.sqrt(0.375 / np.mean(_FLOW ** 2))



@njit
def _pole_pair(hr, hi, f, bw, w):
    """(hr + j·hi) times the unit-DC response of a resonance (pole pair at f Hz, bandwidth bw) at ω = w."""
    sr = -math.pi * bw
    si = _TWO_PI * f
    mag2 = sr * sr + si * si
    # (jw - p)(jw - p*) = (-sr)^2 + si^2 - w^2 + j(-2 sr w)
    dr = mag2 - w * w
    di = -2.0 * sr * w
    den = dr * dr + di * di
    qr = mag2 * dr / den
    qi = -mag2 * di / den
    return hr * qr - hi * qi, hr * qi + hi * qr

@njit
def _hash(seed, stream, idx):
    """Uniform [-1, 1) from (seed, stream, index) via splitmix64."""
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(stream) * np.uint64(0xD1B54A32D192ED03) \
        + np.uint64(idx) * np.uint64(0x94D049BB133111EB)
    z = _splitmix64(z)
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0) * 2.0 - 1.0


@njit
def _harmonics(row, fs, tilt_base, pulse, phase_bw, pf, out_re, out_im):
    """Complex harmonic coefficients S(h f0)·H(h f0) for one tract row; ``pulse`` > 0 gives the
    source the phases of a glottal flow-derivative pulse (else all harmonics in cosine phase).
    The tract's phase is that of formants at ``pf`` (the row's, followed slowly) with bandwidths
    widened to at least ``phase_bw`` Hz (a narrow formant gliding past a harmonic would swing its
    phase and so its frequency), or with ``phase_bw`` = 0 that of a fixed neutral tract."""
    f0 = row[0]
    if f0 < 20.0:
        f0 = 20.0
    nh = int(0.45 * fs / f0)
    if nh > out_re.shape[0]:
        nh = out_re.shape[0]
    tilt = tilt_base - 0.35 * row[18]           # arousal flattens the source
    if tilt < 0.3:
        tilt = 0.3
    an = row[17]
    if an < 0.0:
        an = 0.0
    fz = NASAL_POLE_HZ + an * NASAL_ZERO_SPAN    # nasal zero moves away from the nasal pole
    for h in range(out_re.shape[0]):
        out_re[h] = 0.0
        out_im[h] = 0.0
    for h in range(1, nh + 1):
        f = h * f0
        w = _TWO_PI * f
        # source: -6 dB/oct·tilt above ~120 Hz
        src = (1.0 + (f / 120.0) ** 2) ** (-0.5 * tilt)
        sr_, si_ = src, 0.0
        if pulse > 0.0 and h <= _PULSE.shape[0]:
            sr_, si_ = src * _PULSE[h - 1, 0], src * _PULSE[h - 1, 1]
        hr = sr_
        hi = si_
        for k in range(5):
            fk = row[1 + k]
            bk = row[6 + k]
            if fk < 50.0:
                fk = 50.0
            if bk < 10.0:
                bk = 10.0
            hr, hi = _pole_pair(hr, hi, fk, bk, w)
        if an > 0.0:
            # nasal pair: zero at fz / pole at NASAL_POLE_HZ (bandwidths 100 Hz)
            pr = -math.pi * 100.0
            pim = _TWO_PI * NASAL_POLE_HZ
            zim = _TWO_PI * fz
            pm2 = pr * pr + pim * pim
            zm2 = pr * pr + zim * zim
            ndr = zm2 - w * w
            ndi = -2.0 * pr * w
            ddr = pm2 - w * w
            ddi = ndi
            den = ddr * ddr + ddi * ddi
            # (ndr + j ndi)/(ddr + j ddi) * pm2/zm2
            gr = (ndr * ddr + ndi * ddi) / den * pm2 / zm2
            gi = (ndi * ddr - ndr * ddi) / den * pm2 / zm2
            tr = hr * gr - hi * gi
            hi = hr * gi + hi * gr
            hr = tr
        if _FIXED_PHASE:
            # magnitude from the formants, phase from broadened (or fixed neutral) ones, so
            # moving formants bend the harmonics' phases little (which would perturb the periodicity)
            mag = math.sqrt(hr * hr + hi * hi)
            pr_, pi_ = sr_, si_
            for k in range(5):
                if phase_bw > 0.0:
                    pr_, pi_ = _pole_pair(pr_, pi_, max(pf[k], 50.0), max(row[6 + k], phase_bw), w)
                else:
                    pr_, pi_ = _pole_pair(pr_, pi_, 500.0 + 1000.0 * k, 80.0 + 20.0 * k, w)
            pm = math.sqrt(pr_ * pr_ + pi_ * pi_)
            hr = mag * pr_ / pm
            hi = mag * pi_ / pm
        xi = f / HPC_STEP
        ii = int(xi)
        if ii >= _HPC.shape[0] - 1:
            ii = _HPC.shape[0] - 2
        fr = xi - ii
        corr = _HPC[ii] + (_HPC[ii + 1] - _HPC[ii]) * fr
        hr *= corr
        hi *= corr
        # fade the top harmonics to avoid a hard edge near 0.45 fs
        edge = (0.45 * fs - f) / (0.05 * fs)
        if edge < 1.0:
            hr *= edge
            hi *= edge
        out_re[h - 1] = hr
        out_im[h - 1] = hi


@njit
def _reson_coef(f, bw, fs, coef, j):
    """Klatt resonator (unity DC gain) coefficients A, B, C into coef[j:j+3]."""
    if bw < 10.0:
        bw = 10.0
    if f > 0.48 * fs:
        f = 0.48 * fs
    r = math.exp(-math.pi * bw / fs)
    c = -r * r
    b = 2.0 * r * math.cos(_TWO_PI * f / fs)
    coef[j] = 1.0 - b - c
    coef[j + 1] = b
    coef[j + 2] = c


@njit
def _bp_coef(f, bw, fs, coef, j):
    """Band-pass resonator (unity peak gain, zeros at DC and Nyquist) into coef[j:j+3]."""
    if bw < 50.0:
        bw = 50.0
    if f > 0.46 * fs:
        f = 0.46 * fs
    r = math.exp(-math.pi * bw / fs)
    coef[j] = 0.5 * (1.0 - r * r)
    coef[j + 1] = 2.0 * r * math.cos(_TWO_PI * f / fs)
    coef[j + 2] = -r * r


@njit
def _tick_coefs(row, fs, coef):
    for k in range(5):
        _reson_coef(row[1 + k], row[6 + k] if k > 0 else row[6] + 150.0, fs, coef, 3 * k)
    _bp_coef(row[14], row[15], fs, coef, 15)
    _bp_coef(row[14], row[15] * 1.3, fs, coef, 18)


@njit
def _harmonic_bank(amp, m, th, fr, nh, acc, cos_th, work):
    """acc[k] = Σ_{h<nh[k]} a_h cos((h+1)θ_k) − b_h sin((h+1)θ_k) for the m samples of one tick segment
    (and cos_th[k] = cos θ_k, which the noise modulation reuses),
    the coefficients interpolated by fr[k] between the previous (amp[0:2]) and the current (amp[2:4])
    tick; cos/sin by Chebyshev recurrences from one cos and one sin of θ_k. The samples run side by
    side in the inner loop, so the compiler vectorises across them (each sum is still taken over h in
    order, the same arithmetic as sample by sample)."""
    cc, sc, cm, sm, tc = work[0], work[1], work[2], work[3], work[4]
    hmax = 0
    for k in range(m):
        c1 = math.cos(th[k])
        cos_th[k] = c1
        cc[k] = c1
        sc[k] = math.sin(th[k])
        cm[k] = 1.0
        sm[k] = 0.0
        tc[k] = 2.0 * c1
        acc[k] = 0.0
        if nh[k] > hmax:
            hmax = nh[k]
    for h in range(hmax):
        a0 = amp[0, h]
        a2 = amp[2, h]
        b0 = amp[1, h]
        b2 = amp[3, h]
        for k in range(m):
            a = a0 + (a2 - a0) * fr[k]
            b = b0 + (b2 - b0) * fr[k]
            v = a * cc[k] - b * sc[k]
            if h < nh[k]:
                acc[k] += v
            cn = tc[k] * cc[k] - cm[k]
            sn = tc[k] * sc[k] - sm[k]
            cm[k] = cc[k]
            sm[k] = sc[k]
            cc[k] = cn
            sc[k] = sn


@njit
def _reson_step(x, a, b, c, m0, m1):
    """One sample of a two-pole resonator y = a·x + b·y[−1] + c·y[−2]: (y, new y[−1], new y[−2])."""
    y = a * x + b * m0 + c * m1
    return y, y, m0


@njit(aot="f8[:, ::1] i8 i8 f8 f8[::1] i8 f8[::1] f8[:, ::1] f8[:, ::1] f8[::1] f8[::1] f8[::1]")
def _voice_render(ctrl, t0, period, fs, prm, seed, st, rows, amp, res, coef, out):
    """Render ``out.shape[0]`` samples starting at master index ``t0``.

    ``ctrl`` holds the tract rows (voice channel order) of the control ticks
    inside the span, in order. ``st``, ``rows`` (2, NV), ``amp`` (4, MAXH),
    ``res`` and ``coef`` are the carried state (updated in place).
    Between two ticks: the glottal phase of every sample first (a serial chain),
    then the harmonic bank of all of them at once, then noise, filters and output.
    """
    n = out.shape[0]
    j = 0
    nh_max = amp.shape[1]
    seg = np.empty((10, period))         # phases, their cosines, tick fractions, shimmer, harmonic sums, scratch (5)
    th_s, cos_s, fr_s, shim_s, acc_s = seg[0], seg[1], seg[2], seg[3], seg[4]
    nh_s = np.empty(period, dtype=np.int64)
    i = 0
    while i < n:
        ph = (t0 + i) % period
        if ph == 0:
            if j < ctrl.shape[0]:
                for c in range(rows.shape[1]):
                    rows[0, c] = rows[1, c]
                    rows[1, c] = ctrl[j, c]
                j += 1
                for h in range(nh_max):
                    amp[0, h] = amp[2, h]
                    amp[1, h] = amp[3, h]
                # the formants the harmonics' phases follow: the row's, low-passed (P_PHASE_TAU s)
                a_pf = 1.0
                if prm[P_PHASE_TAU] > 0.0 and st[4] != 0.0:
                    a_pf = 1.0 - math.exp(-period / (fs * prm[P_PHASE_TAU]))
                for k in range(5):
                    res[19 + k] += a_pf * (rows[1, 1 + k] - res[19 + k])
                _harmonics(rows[1], fs, prm[P_TILT], prm[P_PULSE], prm[P_PHASE_BW], res[19:24], amp[2], amp[3])
                _tick_coefs(rows[1], fs, coef)
                if st[4] == 0.0:          # first tick: no previous row
                    for c in range(rows.shape[1]):
                        rows[0, c] = rows[1, c]
                    for h in range(nh_max):
                        amp[0, h] = amp[2, h]
                        amp[1, h] = amp[3, h]
                    st[4] = 1.0
        m = min(period - ph, n - i)       # samples up to the next tick
        if st[4] == 0.0:
            for k in range(m):
                out[i + k] = 0.0
            i += m
            continue
        # the glottal phase (jitter and shimmer change at each new cycle)
        for k in range(m):
            t = t0 + i + k
            fr = (ph + k) / period
            f0 = rows[0, 0] + (rows[1, 0] - rows[0, 0]) * fr
            av = rows[0, 11] + (rows[1, 11] - rows[0, 11]) * fr
            if f0 < 20.0:
                f0 = 20.0
            fi = f0
            if prm[P_VIBD] > 0.0:
                fi *= 1.0 + prm[P_VIBD] * math.sin(_TWO_PI * prm[P_VIBR] * t / fs)
            fi *= st[2]
            th = st[0] + _TWO_PI * fi / fs
            if th >= _TWO_PI:
                th -= _TWO_PI
                st[1] += 1.0
                cyc = np.int64(st[1])
                st[2] = 1.0 + prm[P_JITTER] * _hash(seed, 1, cyc)
                st[3] = 1.0 + prm[P_SHIMMER] * _hash(seed, 2, cyc)
            st[0] = th
            th_s[k] = th
            fr_s[k] = fr
            shim_s[k] = st[3]
            nh = 0
            if av > 1e-5:
                nh = int(0.45 * fs / f0) + 1
                if nh > nh_max:
                    nh = nh_max
            nh_s[k] = nh
        # harmonic bank (voiced samples only: nh = 0 elsewhere)
        _harmonic_bank(amp, m, th_s, fr_s, nh_s, acc_s, cos_s, seg[5:])
        # the filter memories in locals through the segment (no store and load per sample)
        q0, q1, q2, q3, q4, q5, q6, q7, q8, q9 = res[0], res[1], res[2], res[3], res[4], res[5], res[6], \
            res[7], res[8], res[9]
        p10, p11, p12, p13, p14, p15, p16, p17 = res[10], res[11], res[12], res[13], res[14], res[15], \
            res[16], res[17]
        for k in range(m):
            t = t0 + i + k
            fr = fr_s[k]
            av = rows[0, 11] + (rows[1, 11] - rows[0, 11]) * fr
            ah = rows[0, 12] + (rows[1, 12] - rows[0, 12]) * fr
            af = rows[0, 13] + (rows[1, 13] - rows[0, 13]) * fr
            ab = rows[0, 16] + (rows[1, 16] - rows[0, 16]) * fr
            loud = rows[0, 19] + (rows[1, 19] - rows[0, 19]) * fr
            aro = rows[1, 18]
            val = rows[1, 20]
            dom = rows[1, 21]
            breath = prm[P_BREATH] + 0.25 * max(-aro, 0.0) + 0.1 * max(-dom, 0.0)
            tremd = prm[P_TREMD] + 0.12 * max(aro, 0.0) * max(-val, 0.0)
            voiced = 0.0
            if av > 1e-5:
                voiced = av * shim_s[k] * acc_s[k]
            # noise sources
            n1 = _hash(seed, 3, t) - 0.8 * _hash(seed, 3, t - 1)     # tilted up: aspiration is bright
            n2 = _hash(seed, 4, t)
            puls = 0.5 + 0.5 * cos_s[k]                 # glottal-phase modulation of noise
            gate = puls
            if prm[P_ASP_GATE] > 0.0:                   # breath noise only while the glottis is open
                xg = th_s[k] * (256.0 / _TWO_PI)
                ig = int(xg)
                if ig > 255:
                    ig = 255
                gate = _FLOW[ig] + (_FLOW[ig + 1] - _FLOW[ig]) * (xg - ig)
            asp_in = prm[P_ASP] * (ah + breath * av * gate) * n1
            # aspiration through the formant cascade
            x, q0, q1 = _reson_step(asp_in, coef[0], coef[1], coef[2], q0, q1)
            x, q2, q3 = _reson_step(x, coef[3], coef[4], coef[5], q2, q3)
            x, q4, q5 = _reson_step(x, coef[6], coef[7], coef[8], q4, q5)
            x, q6, q7 = _reson_step(x, coef[9], coef[10], coef[11], q6, q7)
            asp, q8, q9 = _reson_step(x, coef[12], coef[13], coef[14], q8, q9)
            # frication + burst through the FF/FB band-pass pair
            vmod = 1.0 - 0.5 * (av if av < 1.0 else 1.0) * (1.0 - puls)
            fin = (prm[P_FRIC] * af * vmod + prm[P_BURST] * ab) * n2
            x1 = fin - p12
            y1 = coef[15] * x1 + coef[16] * p10 + coef[17] * p11
            p11 = p10
            p10 = y1
            p12 = p13
            p13 = fin
            x2 = y1 - p14
            y2 = coef[18] * x2 * 2.0 + coef[19] * p15 + coef[20] * p16
            p16 = p15
            p15 = y2
            p14 = p17
            p17 = y1
            fric = y2 + 0.05 * prm[P_BURST] * ab * n1
            trem = 1.0
            if tremd > 0.0:
                trem = 1.0 + tremd * math.sin(_TWO_PI * prm[P_TREMR] * t / fs)
            y = prm[P_GAIN] * loud * trem * (voiced + asp + fric)
            # soft limiter: linear below the knee, smoothly saturating to +-1 above it
            ay = abs(y)
            if ay > _KNEE:
                y = math.copysign(_KNEE + (1.0 - _KNEE) * math.tanh((ay - _KNEE) / (1.0 - _KNEE)), y)
            out[i + k] = y
        res[0], res[1], res[2], res[3], res[4], res[5], res[6], res[7], res[8], res[9] = \
            q0, q1, q2, q3, q4, q5, q6, q7, q8, q9
        res[10], res[11], res[12], res[13], res[14], res[15], res[16], res[17] = \
            p10, p11, p12, p13, p14, p15, p16, p17
        i += m


def new_state():
    """Fresh kernel state arrays (st, rows, amp, res, coef)."""
    st = np.zeros(N_ST)
    st[2] = 1.0
    st[3] = 1.0
    return (st, np.zeros((2, NV)), np.zeros((4, MAXH)), np.zeros(N_RES), np.zeros(N_COEF))
