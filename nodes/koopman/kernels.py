"""Numba kernels of the streaming Koopman monitor: delay-embedded linear model by QR least squares.

Model: o_{t+1} = W s_t with s_t = [o_t, o_{t-1}, …, o_{t-d+1}] (m = d·M). W is the
exponentially weighted least-squares fit

    W = argmin_W  Σ_i λ^{t-i} ‖y_i − W s_i‖²  (+ ridge rows, + a prior that fades as λ^t)

over the samples whose embedding is complete (the zero padding of the first d−1
ticks is not a trajectory of the signal and is never learnt). It is kept in
square-root information form: ``RZ = [R | Z]`` (m × (m+M)), R upper triangular,
RᵀR the weighted information matrix and Wᵀ = R⁻¹Z. Each sample scales RZ by √λ
and rotates the row [s, y] into it (Givens). Working on R, whose condition number
is that of the data, rather than on P = (RᵀR)⁻¹ (its square, the covariance form
of RLS) keeps delay embeddings of smooth noise-free signals exact: their
information matrices reach condition numbers of 1e15–1e16.

W follows by back-substitution (M·m²/2 flops) or, where that is dearer and safe,
by the RLS step W += e kᵀ with k = R⁻¹q, q = R⁻ᵀs coming out of the rotations
(see :func:`_learn`).

The ridge is relative and off by default: each sample adds ``ridge``·‖s‖² of
information along one rotating unit direction e_j (j = tick mod m), so every
direction carries ≈ ridge × the data's mean information per direction whatever
the scale of the observables. It biases weakly excited directions, which exact
fits need (a sum of 4 sinusoids in 8 delays has directions 1e-15 below the
strongest), so it stays 0 unless the data call for shrinkage.
"""
from __future__ import annotations

import math

import numpy as np

from psigraph.kernels import njit

#: floor of ‖s‖² in the ridge and prior weights
TINY = 1e-200
#: weight of the prior (towards the model so far: persistence at the start), relative to the first
#: sample's information per direction; it fades as λ^t and only keeps R invertible until data arrive
PRIOR = 1e-30
#: a diagonal of R below ROOT_FLOOR gets FLOOR of information along its direction, so exact
#: silence (nothing new, everything forgotten) cannot underflow R; far below any real signal
FLOOR = 1e-240
ROOT_FLOOR = 1e-120
#: the RLS model step (M > 4 only) needs γ ≥ GAMMA_MIN and min/max of R's diagonal ≥ DIAG_MIN;
#: the model is re-solved from the factor at least every RESOLVE_EVERY ticks
GAMMA_MIN = 0.5
DIAG_MIN = 1e-6
RESOLVE_EVERY = 64


@njit(error_model="numpy")
def _rot(a, b):
    """cos, sin, radius and 1/radius of the Givens rotation mapping (a, b) to (r, 0), r ≥ 0 (for a ≥ 0)."""
    r = math.sqrt(a * a + b * b)
    if not 1e-150 < r < 1e150:                       # a² + b² would under/overflow
        r = math.hypot(a, b)
        if r == 0.0:
            return 1.0, 0.0, 0.0, 0.0
    inv = 1.0 / r
    return a * inv, b * inv, r, inv


@njit(error_model="numpy")
def _qr_row(RZ, u, lam_s, q, dinv):
    """Scale ``RZ`` by ``lam_s`` (√λ) and rotate the row ``u`` into it (Givens, two rows per pass).

    ``RZ`` is (m, m+M), upper triangular in its first m columns with a non-negative
    diagonal (kept so; ``dinv`` gets its reciprocals); ``u`` (m+M) is overwritten. The same rotations applied to the
    unit vector of the new row give ``q`` = R⁻ᵀ u[:m] (R after the update: the column of
    the orthogonal factor that produced the new row), and the function returns the
    product of the cosines, √γ with γ = 1 − ‖q‖² = 1 − uᵀ(RᵀR)⁻¹u: the RLS conversion
    factor, near 0 when u points where the factor knew little.
    """
    m, n = RZ.shape
    g = 1.0
    i = 0
    while i < m:
        R0 = RZ[i]
        c0, s0, r, dinv[i] = _rot(lam_s * R0[i], u[i])
        q[i] = s0 * g
        g *= c0
        R0[i] = r
        u[i] = 0.0
        cl0, sl0 = c0 * lam_s, s0 * lam_s
        if i + 1 == m:
            for j in range(i + 1, n):
                r0 = R0[j]
                uj = u[j]
                R0[j] = cl0 * r0 + s0 * uj
                u[j] = c0 * uj - sl0 * r0
            break
        r0 = R0[i + 1]                               # rotation i on column i + 1, then rotation i + 1
        u1 = u[i + 1]
        R0[i + 1] = cl0 * r0 + s0 * u1
        u1 = c0 * u1 - sl0 * r0
        R1 = RZ[i + 1]
        c1, s1, r, dinv[i + 1] = _rot(lam_s * R1[i + 1], u1)
        q[i + 1] = s1 * g
        g *= c1
        R1[i + 1] = r
        u[i + 1] = 0.0
        cl1, sl1 = c1 * lam_s, s1 * lam_s
        for j in range(i + 2, n):                    # both rotations in one pass over the columns
            r0 = R0[j]
            r1 = R1[j]
            uj = u[j]
            R0[j] = cl0 * r0 + s0 * uj
            uj = c0 * uj - sl0 * r0
            R1[j] = cl1 * r1 + s1 * uj
            u[j] = c1 * uj - sl1 * r1
        i += 2
    return g


@njit(error_model="numpy")
def _qr_unit(RZ, j, w, u):
    """Rotate the row w·e_jᵀ (target 0, no forgetting) into ``RZ``: information w² along e_j (``u``: scratch)."""
    m, n = RZ.shape
    for k in range(n):
        u[k] = 0.0
    u[j] = w
    for i in range(j, m):
        b = u[i]
        if b == 0.0:
            continue
        Ri = RZ[i]
        c, sn, r, _ = _rot(Ri[i], b)
        Ri[i] = r
        u[i] = 0.0
        for k in range(i + 1, n):
            rk = Ri[k]
            uk = u[k]
            Ri[k] = c * rk + sn * uk
            u[k] = c * uk - sn * rk


@njit(error_model="numpy")
def _solve(RZ, Wt):
    """Back-substitution: Wt (m, M) = R⁻¹ Z."""
    m = RZ.shape[0]
    M = Wt.shape[1]
    for i in range(m - 1, -1, -1):
        Ri = RZ[i]
        wi = Wt[i]
        for r in range(M):
            wi[r] = Ri[m + r]
        for j in range(i + 1, m):
            rij = Ri[j]
            wj = Wt[j]
            for r in range(M):
                wi[r] -= rij * wj[r]
        d = Ri[i]
        for r in range(M):
            wi[r] /= d


@njit(error_model="numpy")
def _back(RZ, dinv, q, k):
    """k = R⁻¹ q by back-substitution, two rows per pass (``dinv``: the reciprocals of R's diagonal)."""
    m = RZ.shape[0]
    i = m - 1
    while i >= 1:
        R1 = RZ[i]
        R0 = RZ[i - 1]
        a1 = q[i]
        a0 = q[i - 1]
        for j in range(i + 1, m):
            kj = k[j]
            a1 -= R1[j] * kj
            a0 -= R0[j] * kj
        k1 = a1 * dinv[i]
        k[i] = k1
        k[i - 1] = (a0 - R0[i] * k1) * dinv[i - 1]
        i -= 2
    if i == 0:
        R0 = RZ[0]
        a0 = q[0]
        for j in range(1, m):
            a0 -= R0[j] * k[j]
        k[0] = a0 * dinv[0]


@njit(error_model="numpy")
def _apply(W, b, out):
    """out (M,) = W b, two rows per pass."""
    M, m = W.shape
    r = 0
    while r + 1 < M:
        W0 = W[r]
        W1 = W[r + 1]
        a0 = 0.0
        a1 = 0.0
        for j in range(m):
            bj = b[j]
            a0 += W0[j] * bj
            a1 += W1[j] * bj
        out[r] = a0
        out[r + 1] = a1
        r += 2
    if r < M:
        W0 = W[r]
        a0 = 0.0
        for j in range(m):
            a0 += W0[j] * b[j]
        out[r] = a0


@njit(error_model="numpy")
def _forecast(W, s, horizon, ext, out, one):
    """Iterate o ← W s, s ← [o, s[:-M]] ``horizon`` times; out = the last o, one = the first.

    ``ext`` (horizon·M + m) holds the embedding and the forecasts in front of it, so the
    iteration reads a sliding window instead of shifting.
    """
    M, m = W.shape
    top = horizon * M
    for i in range(m):
        ext[top + i] = s[i]
    for h in range(horizon):
        top -= M
        _apply(W, ext[top + M:top + M + m], out)
        for r in range(M):
            ext[top + r] = out[r]
    for r in range(M):
        one[r] = ext[horizon * M - M + r]


@njit(error_model="numpy")
def _init(RZ, W, w0):
    """Prior: R = √w0·I, Z = R·Wᵀ (the model so far: persistence at the start)."""
    m = RZ.shape[0]
    M = W.shape[0]
    q = math.sqrt(w0)
    for i in range(m):
        for j in range(m):
            RZ[i, j] = 0.0
        RZ[i, i] = q
        for r in range(M):
            RZ[i, m + r] = q * W[r, i]


@njit(error_model="numpy")
def _learn(RZ, W, s, y, e, lam_s, ridge, tick, u, q, k, dinv, Wt):
    """One least-squares step: forget by λ, add the row [s, y] (innovation e = y − W s), update W.

    The RLS step is exact algebra (k = (RᵀR)⁻¹s after the update), but a back-substitution
    in a direction R knows almost nothing about amplifies rounding; so it is taken only
    for M > 4 (else the full solve is as cheap), when the sample lies where R is well
    informed (γ ≥ GAMMA_MIN), R's diagonal spans less than 1/DIAG_MIN and no ridge row
    was added; and the model is re-solved from RZ every RESOLVE_EVERY ticks regardless.
    """
    M, m = W.shape
    for i in range(m):
        u[i] = s[i]
    for r in range(M):
        u[m + r] = y[r]
    j = tick % m
    c = 0.0
    if ridge > 0.0:
        ss = 0.0
        for i in range(m):
            ss += s[i] * s[i]
        c = ridge * max(ss, TINY)
    g = _qr_row(RZ, u, lam_s, q, dinv)
    if c == 0.0 and RZ[j, j] < ROOT_FLOOR:
        c = FLOOR
    if c > 0.0:                                      # ridge row √c e_jᵀ, target 0
        _qr_unit(RZ, j, math.sqrt(c), u)
    full = M <= 4 or c > 0.0 or g * g < GAMMA_MIN or tick % RESOLVE_EVERY == 0
    if not full:
        lo = hi = RZ[0, 0]
        for i in range(1, m):
            lo = min(lo, RZ[i, i])
            hi = max(hi, RZ[i, i])
        full = not lo >= DIAG_MIN * hi
    if full:
        _solve(RZ, Wt)
        for r in range(M):
            Wr = W[r]
            for i in range(m):
                Wr[i] = Wt[i, r]
    else:
        _back(RZ, dinv, q, k)
        for r in range(M):
            er = e[r]
            Wr = W[r]
            for i in range(m):
                Wr[i] += er * k[i]


@njit(error_model="numpy")
def _run(obs, tick0, RZ, W, s, one, ring, lam, ridge, delays, horizon, warmup, count, ms,
         robust, gain, pred_out, err_out, err1_out, corr_out, work, Wt):
    """Process rows of observables; returns (sample count, running mean square innovation).

    The model learns from a sample only once the embedding holds ``delays`` real rows.
    After warm-up, a sample whose innovation exceeds ``robust`` × the running innovation
    RMS is reported but not learnt (a kick is a surprise, not new dynamics; learning it
    would fit a direction the data never excited); the RMS then grows, so a lasting
    change is learnt after a while. ``robust`` ≤ 0 learns everything.

    ``one`` holds W s_t, the one-step forecast made last tick (the innovation's
    reference). ``ring`` (horizon, M) holds the forecasts made for the next ``horizon``
    ticks; slot tick % horizon holds the forecast for ``tick``. ``work`` (7, ≥ m + M +
    horizon·M) and ``Wt`` (m, M) are scratch.
    """
    n, M = obs.shape
    m = s.shape[0]
    u = work[0, :m + M]
    e = work[1, :M]
    fc = work[2, :M]
    q, kg, dinv = work[3, :m], work[4, :m], work[5, :m]
    ext = work[6, :horizon * M + m]
    lam_s = math.sqrt(lam)
    for t in range(n):
        tick = tick0 + t
        y = obs[t]
        # error of the forecast made ``horizon`` ticks ago for this tick
        slot = tick % horizon
        if count >= warmup + horizon:
            acc = 0.0
            for r in range(M):
                d = ring[slot, r] - y[r]
                acc += d * d
            err_out[t, 0] = np.sqrt(acc)
        else:
            err_out[t, 0] = 0.0
        if count >= delays:
            nrm = 0.0
            for r in range(M):
                e[r] = y[r] - one[r]                    # one = W s (the last one-step forecast)
                nrm += e[r] * e[r]
                corr_out[t, r] = -gain * e[r]
            nrm = np.sqrt(nrm)
            clip = robust * np.sqrt(ms) if (robust > 0.0 and count >= warmup) else 0.0
            if count == delays:
                ss = 0.0
                for i in range(m):
                    ss += s[i] * s[i]
                _init(RZ, W, max(ridge, PRIOR) * max(ss, TINY) / m)
            if not (clip > 0.0 and nrm > clip):         # an outlier is reported, not learnt
                _learn(RZ, W, s, y, e, lam_s, ridge, tick, u, q, kg, dinv, Wt)
            lim = min(nrm, clip) if clip > 0.0 else nrm
            ms = lam * ms + (1.0 - lam) * lim * lim
            err1_out[t, 0] = nrm if count >= warmup else 0.0
        else:
            err1_out[t, 0] = 0.0
            for r in range(M):
                corr_out[t, r] = 0.0
        # shift the delay embedding
        for i in range(m - 1, M - 1, -1):
            s[i] = s[i - M]
        for r in range(M):
            s[r] = y[r]
        count += 1
        _forecast(W, s, horizon, ext, fc, one)
        for r in range(M):
            ring[slot, r] = fc[r]
            pred_out[t, r] = fc[r]
    return count, ms
