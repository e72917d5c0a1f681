"""Numba kernels of the streaming Koopman monitor: delay-embedded linear model by regularised RLS.

Model: o_{t+1} = W s_t with s_t = [o_t, o_{t-1}, …, o_{t-d+1}] (m = d·M). W is
updated per sample by recursive least squares with forgetting factor λ (rank-1
update of P ≈ (Σ λ^k s sᵀ + ridge)^-1); a second rank-1 update per sample along a
rotating unit vector e_j (j = t mod m) adds ridge·m·(1−λ) to the information
matrix on average, so P stays bounded when some directions are not excited
(noise-free signals). Forecasts iterate the model ``horizon`` steps.
"""
from __future__ import annotations

import numpy as np

from psigraph.kernels import njit


@njit(error_model="numpy")
def _rls_update(W, P, u, y, lam, clip, Pu, k, e):
    """One RLS step: W += f·e kᵀ with e = y − W u, k = P u / (λ + uᵀ P u); P = (P − k (Pu)ᵀ)/λ.

    f = min(1, clip/‖e‖) (Huber-style clipping; clip ≤ 0: off). Returns ‖e‖ (unclipped).
    """
    m = u.shape[0]
    M = y.shape[0]
    for i in range(m):
        acc = 0.0
        for j in range(m):
            acc += P[i, j] * u[j]
        Pu[i] = acc
    den = lam
    for i in range(m):
        den += u[i] * Pu[i]
    for i in range(m):
        k[i] = Pu[i] / den
    nrm = 0.0
    for r in range(M):
        acc = y[r]
        for j in range(m):
            acc -= W[r, j] * u[j]
        e[r] = acc
        nrm += acc * acc
    nrm = np.sqrt(nrm)
    f = 1.0
    if clip > 0.0 and nrm > clip:
        f = clip / nrm
    for r in range(M):
        fe = f * e[r]
        for j in range(m):
            W[r, j] += fe * k[j]
    inv = 1.0 / lam
    for i in range(m):
        for j in range(i, m):
            v = (P[i, j] - k[i] * Pu[j]) * inv
            P[i, j] = v
            P[j, i] = v
    return nrm


@njit(error_model="numpy")
def _ridge_update(W, P, j, c):
    """Rank-1 ridge step along e_j with weight c (target 0, no forgetting)."""
    m = P.shape[0]
    M = W.shape[0]
    den = 1.0 + c * P[j, j]
    for r in range(M):
        wr = W[r, j]
        f = c * wr / den
        for i in range(m):
            W[r, i] -= f * P[j, i]
    pj = P[j].copy()
    for i in range(m):
        for q in range(i, m):
            v = P[i, q] - c * pj[i] * pj[q] / den
            P[i, q] = v
            P[q, i] = v


@njit(error_model="numpy")
def _forecast(W, s, horizon, buf, out):
    """Iterate o ← W s, s ← [o, s[:-M]] ``horizon`` times; out = the last o."""
    M = W.shape[0]
    m = s.shape[0]
    for i in range(m):
        buf[i] = s[i]
    for _ in range(horizon):
        for r in range(M):
            acc = 0.0
            for j in range(m):
                acc += W[r, j] * buf[j]
            out[r] = acc
        for i in range(m - 1, M - 1, -1):
            buf[i] = buf[i - M]
        for r in range(M):
            buf[r] = out[r]


@njit(error_model="numpy")
def _run(obs, tick0, W, P, s, ring, lam, ridge_c, horizon, warmup, count, ms, robust, gain,
         pred_out, err_out, err1_out, corr_out, work):
    """Process rows of observables; returns (sample count, running mean square innovation).

    After warm-up, innovations larger than ``robust`` × their running RMS are clipped in
    the model update (a kick should be reported, not learnt); ``robust`` ≤ 0 disables it.

    ``ring`` (horizon, M) holds the forecasts made for the next ``horizon`` ticks;
    slot tick % horizon holds the forecast for ``tick``.
    """
    n, M = obs.shape
    m = s.shape[0]
    Pu, k, buf = work[0, :m], work[1, :m], work[2, :m]
    e = work[3, :M]
    fc = work[4, :M]
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
        if count >= 1:
            clip = robust * np.sqrt(ms) if (robust > 0.0 and count >= warmup) else 0.0
            nrm = _rls_update(W, P, s, y, lam, clip, Pu, k, e)
            _ridge_update(W, P, tick % m, ridge_c)
            lim = min(nrm, clip) if clip > 0.0 else nrm
            ms = lam * ms + (1.0 - lam) * lim * lim
            err1_out[t, 0] = nrm if count >= warmup else 0.0
            for r in range(M):
                corr_out[t, r] = -gain * e[r]
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
        _forecast(W, s, horizon, buf, fc)
        for r in range(M):
            ring[slot, r] = fc[r]
            pred_out[t, r] = fc[r]
    return count, ms
