"""Plot the ψ-core at work: order parameters, Lyapunov energies, 50 ms forecasts and surprises.

Runs psi_core → koopman_monitor → surprise_detector for 12 s: free running,
then a burst of syllable events (5 Hz) that entrains the syllable role, a sad
emotion that slows the meso band (harmonic grammar), and three phase kicks of
0.3–0.5 rad that the surprise detector should catch. Writes two PNGs:

* ``psi_dynamics.png`` — r(t) per band and the normalised energy 1 + 2V/(K·N)
  (equal to 1 − r² for all-to-all coupling), plus the grammar penalty;
* ``psi_prediction.png`` — cos θ_syllable against its 50 ms forecast, and the
  one-step surprise ε(t) with the adaptive threshold, surprise events and kicks.

    python examples/plot_psi_core.py [--out docs/img] [--seconds 12]
Needs matplotlib.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from psigraph import chain

from psigraph import Graph, registry
from psigraph.ports import Event
from psigraph.runtime import Session

SR = 24000


def build() -> Graph:
    for m in ("psi", "koopman", "surprise"):
        registry.import_pack(f"psigraph.nodes.{m}.node")
    registry.import_pack("psigraph.testing")
    g = Graph(name="plot_psi_core", seed=7)
    g.add_node("core", "psi_core", chain.speak_core_params())
    g.add_node("kp", "koopman_monitor", {"channels": chain.SPEAK_OBSERVABLES})
    g.add_node("sd", "surprise_detector", {})
    g.add_node("ev", "event_collector", {})
    g.connect("core.state", "kp.x")
    g.connect("kp.error1", "sd.error")
    g.connect("sd.events", "ev.x")
    return g


def score(seconds: float) -> list:
    evs = [Event(int(3.0 * SR), "utterance", {"emotion": [0.6, 0.3, 0.0]})]
    t = 3.0
    while t < min(6.0, seconds):
        evs.append(Event(int(t * SR), "syllable", {"dur": int(0.2 * SR), "stress": 1}))
        t += 0.2
    evs.append(Event(int(6.5 * SR), "emotion", {"vad": [-0.8, -0.4, 0.0]}))
    kicks = [(8.0, "syllable", 0.4), (9.5, "breath", -0.3), (11.0, "head_yaw", 0.5)]
    evs += [Event(int(t * SR), "kick", {"role": r, "dphase": d}) for t, r, d in kicks if t < seconds]
    return evs, [t for t, _, _ in kicks if t < seconds]


def run(seconds: float):
    s = Session(build(), block=480)
    for ref in ("core.state", "core.r", "core.energy", "kp.prediction", "kp.error1", "sd.threshold"):
        s.tap(ref)
    evs, kicks = score(seconds)
    for e in evs:
        s.post("core.score", e)
    s.run(duration=seconds)
    data = {ref: s.tap(ref) for ref in ("core.state", "core.r", "core.energy", "kp.prediction", "kp.error1",
                                        "sd.threshold")}
    core, kp = s.node("core"), s.node("kp")
    data["surprises"] = [e.t / SR for e in s.node("ev").events]
    data["kicks"] = kicks
    data["K"] = core.band_k
    data["N"] = core.layout.band_count
    data["bands"] = core.layout.band_names
    data["obs"] = kp.observables(data["core.state"])
    data["obs_names"] = list(kp.out_specs["prediction"].labels)
    data["H"] = kp.horizon
    return data


def plot(d, out: str) -> list:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(out, exist_ok=True)
    t = np.arange(len(d["core.r"])) / 200.0
    paths = []

    fig, ax = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    for b, name in enumerate(d["bands"]):
        ax[0].plot(t, d["core.r"][:, b], label=f"r {name}")
        vn = 1 + 2 * d["core.energy"][:, b] / (d["K"][b] * d["N"][b])
        ax[1].plot(t, vn, label=f"1 + 2V/(KN) {name}")
    ax[1].plot(t, d["core.energy"][:, -1] / 4.0, "k--", lw=0.8, label="grammar penalty / 4")
    ax[0].set_ylabel("order parameter r")
    ax[1].set_ylabel("normalised energy")
    ax[1].set_xlabel("time (s)")
    for a in ax:
        a.axvspan(3.0, 6.0, color="0.9", zorder=0)
        a.legend(loc="lower right", fontsize=8, ncol=2)
    ax[0].set_title("ψ-core: synchronisation per band (grey: syllable events)")
    fig.tight_layout()
    paths.append(os.path.join(out, "psi_dynamics.png"))
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    H = d["H"]
    j = d["obs_names"].index("cos:syllable")
    fig, ax = plt.subplots(2, 1, figsize=(9, 6))
    ax[0].plot(t, d["obs"][:, j], label="cos θ_syllable (truth)")
    ax[0].plot(t[H:], d["kp.prediction"][:-H, j], "--", label=f"forecast made {H * 5} ms earlier")
    ax[0].set_xlim(7.5, 8.5)
    ax[0].set_ylim(-1.6, 1.6)
    ax[0].set_ylabel("observable")
    ax[0].legend(loc="lower right", fontsize=8)
    ax[0].set_title("koopman_monitor: 50 ms forecast (kick of 0.4 rad at 8.0 s)")
    ax[1].semilogy(t, np.maximum(d["kp.error1"][:, 0], 1e-4), lw=0.7, label="ε (one-step innovation)")
    ax[1].semilogy(t, np.maximum(d["sd.threshold"][:, 0], 1e-4), "r", lw=1, label="adaptive threshold")
    for k in d["kicks"]:
        ax[1].axvline(k, color="g", ls=":", lw=1)
    if d["surprises"]:
        ax[1].plot(d["surprises"], [0.8] * len(d["surprises"]), "rv", label="surprise events")
    ax[1].axvspan(3.0, 6.0, color="0.9", zorder=0)
    ax[1].set_ylabel("ε")
    ax[0].set_xlabel("time (s)")
    ax[1].set_xlabel("time (s) — grey: syllable events, dotted: injected phase kicks")
    ax[1].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    paths.append(os.path.join(out, "psi_prediction.png"))
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "img"))
    ap.add_argument("--seconds", type=float, default=12.0)
    a = ap.parse_args(argv)
    d = run(a.seconds)
    for p in plot(d, a.out):
        print(p)
    print(f"surprise events at {[round(x, 3) for x in d['surprises']]} s; kicks at {d['kicks']} s")


if __name__ == "__main__":
    main()
