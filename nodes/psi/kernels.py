"""Numba kernels of the ψ-core: integrating-factor RK4 for coupled phase oscillators.

Phases obey dθ_i/dt = ω_i + g_i(θ, t) + σ_i ξ_i(t). The linear part ω_i is
integrated exactly (a precomputed rotation e^{iω_i h}); the slow coupling part
g_i by classic RK4 in the frame rotating with each oscillator (Lawson RK4), so
the step only has to resolve the coupling time scales, not the 40 Hz carrier.
Stage states are formed by rotating unit vectors (x, y) = (cos θ, sin θ), with
one sin/cos per oscillator per substep. Amplitudes relax linearly toward their
target (exact exponential per tick): da/dt = λ(A_rest − a), or, while an
amplitude force is active, (λ + s)(A_force − a). Noise is counter-based: a hash of
(seed, substep index, oscillator) gives bit-identical runs for any block split.
"""
from __future__ import annotations

import numpy as np

from psigraph.kernels import njit
from psigraph.kernels.hash import _splitmix64

TWO_PI = 2.0 * np.pi
RESYNC = 256        # ticks between exact re-evaluations of (cos θ, sin θ)



@njit
def _band_sum(x, y, s0, c):
    """Σ cos θ and Σ sin θ over the c oscillators of one band starting at s0."""
    sx = 0.0
    sy = 0.0
    for i in range(s0, s0 + c):
        sx += x[i]
        sy += y[i]
    return sx, sy

@njit
def _hash(seed, counter):
    """splitmix64 of seed ^ counter·golden (uint64)."""
    return _splitmix64(seed ^ (np.uint64(counter) * np.uint64(0x9E3779B97F4A7C15)))


_MASK64 = (1 << 64) - 1


def hash_int(seed: int, counter: int) -> int:
    """:func:`_hash` in Python integers, for the few calls made outside kernels (no numba dispatch)."""
    z = ((int(seed) ^ ((int(counter) * 0x9E3779B97F4A7C15) & _MASK64)) + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


@njit
def _gauss(seed, counter):
    """Approximately standard normal: four 16-bit uniforms of one hash, centred and scaled."""
    z = _hash(seed, counter)
    m = np.uint64(0xFFFF)
    s = (float(z & m) + float((z >> np.uint64(16)) & m) + float((z >> np.uint64(32)) & m)
         + float((z >> np.uint64(48)) & m) + 2.0) * (1.0 / 65536.0)
    return (s - 2.0) * 1.7320508075688772


@njit(error_model="numpy")
def _rot(a):
    """(cos a, sin a) by Taylor series to a^10 / a^11: error < 1e-14 for |a| < 0.35."""
    a2 = a * a
    c = 1.0 - a2 * (0.5 - a2 * (1.0 / 24.0 - a2 * (1.0 / 720.0 - a2 * (1.0 / 40320.0 - a2 * (1.0 / 3628800.0)))))
    s = a * (1.0 - a2 * (1.0 / 6.0 - a2 * (1.0 / 120.0 - a2 * (1.0 / 5040.0 - a2 * (1.0 / 362880.0
                                                                                   - a2 * (1.0 / 39916800.0))))))
    return c, s


@njit(error_model="numpy")
def _stage(x, y, ex, ey, g, scale, exact, xs, ys):
    """Stage point: z · e^{iωch} · e^{i·scale·g} with (ex, ey) = z·e^{iωch} precomputed."""
    n = x.shape[0]
    if exact:
        for i in range(n):
            a = scale * g[i]
            c = np.cos(a)
            s = np.sin(a)
            xs[i] = ex[i] * c - ey[i] * s
            ys[i] = ex[i] * s + ey[i] * c
    else:
        for i in range(n):
            c, s = _rot(scale * g[i])
            xs[i] = ex[i] * c - ey[i] * s
            ys[i] = ex[i] * s + ey[i] * c


@njit(error_model="numpy")
def _rhs(x, y, tau, g, xn, yn, bX, bY, pX, pY,
         band_start, band_count, band_k, band_ratio, up, down,
         role_band, role_pull, role_q, n_roles,
         use_matrix, kmat,
         f_s, f_phase, f_omega, force_idx,
         lock_a, lock_b, lock_n, lock_m, lock_w, lock_c, lock_s):
    """g_i: the coupling, forcing and grammar terms at stage time offset ``tau`` (s)."""
    nb = band_start.shape[0]
    n = x.shape[0]
    for b in range(nb):
        s0, c = band_start[b], band_count[b]
        sx, sy = _band_sum(x, y, s0, c)
        bX[b] = sx / c
        bY[b] = sy / c
        # mean of z^p for the slower band b (p = ratio to the band below), for n:1 coupling
        if b >= 1:
            p = band_ratio[b - 1]
            sx = 0.0
            sy = 0.0
            for i in range(s0, s0 + c):
                ax = x[i]
                ay = y[i]
                for _ in range(p - 1):
                    t = ax * x[i] - ay * y[i]
                    ay = ax * y[i] + ay * x[i]
                    ax = t
                xn[i] = ax
                yn[i] = ay
                sx += ax
                sy += ay
            pX[b] = sx / c
            pY[b] = sy / c
    for b in range(nb):
        s0, c = band_start[b], band_count[b]
        k = 0.0 if use_matrix else band_k[b]
        # intra-band K·Im(Z z̄) plus downward down·Im(P_{b+1} z̄), folded into A·x − B·y
        A = k * bY[b]
        B = k * bX[b]
        if b + 1 < nb:
            A += down * pY[b + 1]
            B += down * pX[b + 1]
        if b >= 1:
            C = up * bY[b - 1]
            D = up * bX[b - 1]
            for i in range(s0, s0 + c):
                g[i] = A * x[i] - B * y[i] + C * xn[i] - D * yn[i]
        else:
            for i in range(s0, s0 + c):
                g[i] = A * x[i] - B * y[i]
    for i in range(n_roles):
        v = 0.0
        b = role_band[i]
        if b >= 0:
            ax = x[i]
            ay = y[i]
            for _ in range(role_q[i] - 1):
                t = ax * x[i] - ay * y[i]
                ay = ax * y[i] + ay * x[i]
                ax = t
            v = role_pull[i] * (bY[b] * ax - bX[b] * ay)
        g[i] = v
    if use_matrix:
        for i in range(n):
            sx = 0.0
            sy = 0.0
            for j in range(n):
                sx += kmat[i, j] * x[j]
                sy += kmat[i, j] * y[j]
            g[i] += sy * x[i] - sx * y[i]
    for i in force_idx:
        if f_s[i] != 0.0:
            psi = f_phase[i] + f_omega[i] * tau
            g[i] += f_s[i] * (np.sin(psi) * x[i] - np.cos(psi) * y[i])
    for L in range(lock_a.shape[0]):
        a = lock_a[L]
        b = lock_b[L]
        ax = x[a]
        ay = y[a]
        for _ in range(lock_n[L] - 1):
            t = ax * x[a] - ay * y[a]
            ay = ax * y[a] + ay * x[a]
            ax = t
        bx = x[b]
        by = y[b]
        for _ in range(lock_m[L] - 1):
            t = bx * x[b] - by * y[b]
            by = bx * y[b] + by * x[b]
            bx = t
        # u = sin(nθa − mθb − off) = Im(za^n · conj(zb^m) · e^{−i off})
        re = ax * bx + ay * by
        im = ay * bx - ax * by
        u = im * lock_c[L] - re * lock_s[L]
        g[a] -= lock_w[L] * lock_n[L] * u
        g[b] += lock_w[L] * lock_m[L] * u


@njit
def _measure(x, y, band_start, band_count, band_k, use_matrix, kmat,
             lock_a, lock_b, lock_n, lock_m, lock_w, lock_off, theta, r_out, e_out):
    """Order parameter r and energy V = −½ΣK_ij cos(θi−θj) per band; grammar energy last."""
    nb = band_start.shape[0]
    for b in range(nb):
        s0, c = band_start[b], band_count[b]
        sx, sy = _band_sum(x, y, s0, c)
        r2 = (sx * sx + sy * sy) / (c * c)
        r_out[b] = np.sqrt(r2)
        if use_matrix:
            v = 0.0
            for i in range(s0, s0 + c):
                for j in range(s0, s0 + c):
                    v += kmat[i, j] * (x[i] * x[j] + y[i] * y[j])
            e_out[b] = -0.5 * v
        else:
            e_out[b] = -0.5 * band_k[b] * c * r2
    eg = 0.0
    for L in range(lock_a.shape[0]):
        eg -= lock_w[L] * np.cos(lock_n[L] * theta[lock_a[L]] - lock_m[L] * theta[lock_b[L]] - lock_off[L])
    e_out[nb] = eg


@njit(error_model="numpy", aot="i8 i8 i8 f8 f8[::1] f8[::1] f8[::1] f8[::1] f8[::1] f8[::1] u8 "
     "i8[::1] i8[::1] f8[::1] i8[::1] f8 f8 i8[::1] f8[::1] i8[::1] i8 b1 f8[:, ::1] "
     "f8[::1] f8[::1] f8[::1] i8[::1] i8[::1] f8[::1] f8[::1] f8[::1] f8[::1] f8[::1] f8[::1] "
     "i8[::1] i8[::1] i8[::1] i8[::1] f8[::1] f8[::1] f8 f8[:, ::1] f8[:, ::1] f8[:, ::1] f8[:, ::1] f8[:, ::1]")
def _advance(n_ticks, tick0, substeps, dt, theta, amp, omega, rh_c, rh_s, sig, seed,
             band_start, band_count, band_k, band_ratio, up, down,
             role_band, role_pull, role_q, n_roles,
             use_matrix, kmat,
             f_s, f_phase, f_omega, f_end, force_idx, a_s, a_tgt, amp_rest, amp_rate, amp_eq, amp_decay,
             lock_a, lock_b, lock_n, lock_m, lock_w, lock_off, bound,
             z, work, out_state, out_r, out_e):
    """Write ``n_ticks`` ticks (state at each tick, then advance one tick) into the outputs.

    ``out_state[:, :N]`` phases in [0, 2π), ``out_state[:, N:2N]`` amplitudes.
    ``z`` (2, N) carries (cos θ, sin θ) between calls (state); ``work`` is (18, N) scratch.
    Phase forcing references ``f_phase`` advance in place. ``bound`` bounds the phase
    increment per substep without forcing; with forcing added, above 0.35 rad the
    stage rotations use libm sin/cos instead of the Taylor series.
    """
    n = theta.shape[0]
    h = dt / substeps
    x, y = z[0], z[1]
    g1, g2, g3, g4 = work[2], work[3], work[4], work[5]
    xs, ys, xn, yn = work[6], work[7], work[8], work[9]
    hx, hy, fx, fy = work[10], work[11], work[12], work[13]
    bX, bY, pX, pY = work[14], work[15], work[16], work[17]
    lock_c = np.cos(lock_off)
    lock_s = np.sin(lock_off)
    sqh = np.sqrt(h)
    for t in range(n_ticks):
        tick = tick0 + t
        if tick % RESYNC == 0:           # bound the rounding drift of z against θ
            for i in range(n):
                x[i] = np.cos(theta[i])
                y[i] = np.sin(theta[i])
        for i in range(n):
            out_state[t, i] = theta[i]
            out_state[t, n + i] = amp[i]
        _measure(x, y, band_start, band_count, band_k, use_matrix, kmat,
                 lock_a, lock_b, lock_n, lock_m, lock_w, lock_off, theta, out_r[t], out_e[t])
        fmax = 0.0
        for i in force_idx:
            fmax = max(fmax, f_s[i])
        exact = bound + fmax * h > 0.35
        for s in range(substeps):
            for i in range(n):        # z·e^{iωh/2} and z·e^{iωh}
                fc = rh_c[i] * rh_c[i] - rh_s[i] * rh_s[i]
                fs = 2.0 * rh_c[i] * rh_s[i]
                hx[i] = x[i] * rh_c[i] - y[i] * rh_s[i]
                hy[i] = x[i] * rh_s[i] + y[i] * rh_c[i]
                fx[i] = x[i] * fc - y[i] * fs
                fy[i] = x[i] * fs + y[i] * fc
            _rhs(x, y, 0.0, g1, xn, yn, bX, bY, pX, pY, band_start, band_count, band_k, band_ratio, up, down,
                 role_band, role_pull, role_q, n_roles, use_matrix, kmat, f_s, f_phase, f_omega, force_idx,
                 lock_a, lock_b, lock_n, lock_m, lock_w, lock_c, lock_s)
            _stage(x, y, hx, hy, g1, 0.5 * h, exact, xs, ys)
            _rhs(xs, ys, 0.5 * h, g2, xn, yn, bX, bY, pX, pY, band_start, band_count, band_k, band_ratio, up,
                 down, role_band, role_pull, role_q, n_roles, use_matrix, kmat, f_s, f_phase, f_omega, force_idx,
                 lock_a, lock_b, lock_n, lock_m, lock_w, lock_c, lock_s)
            _stage(x, y, hx, hy, g2, 0.5 * h, exact, xs, ys)
            _rhs(xs, ys, 0.5 * h, g3, xn, yn, bX, bY, pX, pY, band_start, band_count, band_k, band_ratio, up,
                 down, role_band, role_pull, role_q, n_roles, use_matrix, kmat, f_s, f_phase, f_omega, force_idx,
                 lock_a, lock_b, lock_n, lock_m, lock_w, lock_c, lock_s)
            _stage(x, y, fx, fy, g3, h, exact, xs, ys)
            _rhs(xs, ys, h, g4, xn, yn, bX, bY, pX, pY, band_start, band_count, band_k, band_ratio, up, down,
                 role_band, role_pull, role_q, n_roles, use_matrix, kmat, f_s, f_phase, f_omega, force_idx,
                 lock_a, lock_b, lock_n, lock_m, lock_w, lock_c, lock_s)
            base = (tick * substeps + s) * n
            for i in range(n):       # slow increment d: θ += ωh + d, z = (z·e^{iωh})·e^{id}
                g1[i] = h * (g1[i] + 2.0 * g2[i] + 2.0 * g3[i] + g4[i]) * (1.0 / 6.0)
            for i in range(n):
                if sig[i] > 0.0:
                    g1[i] += sig[i] * sqh * _gauss(seed, base + i)
            for i in range(n):
                theta[i] += omega[i] * h + g1[i]
            _stage(x, y, fx, fy, g1, 1.0, exact, x, y)
            for i in range(n):       # one Newton step back onto the unit circle
                q = 1.5 - 0.5 * (x[i] * x[i] + y[i] * y[i])
                x[i] *= q
                y[i] *= q
            for i in force_idx:
                if f_s[i] != 0.0:
                    f_phase[i] += f_omega[i] * h
        for i in range(n):
            th = theta[i]
            if th >= TWO_PI:
                th -= TWO_PI
            elif th < 0.0:
                th += TWO_PI
            if not (0.0 <= th < TWO_PI):
                th = th % TWO_PI
                if th >= TWO_PI:
                    th = 0.0
            theta[i] = th
            amp[i] = amp_eq[i] + (amp[i] - amp_eq[i]) * amp_decay[i]
        for i in force_idx:
            if f_s[i] != 0.0:
                f_phase[i] = f_phase[i] % TWO_PI
            if f_end[i] == tick + 1:          # a timed force ends: back to free running
                f_end[i] = -1
                f_s[i] = 0.0
                a_s[i] = 0.0
                amp_eq[i] = amp_rest[i]
                amp_decay[i] = np.exp(-amp_rate[i] * dt)
