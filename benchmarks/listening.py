"""Listening mode, measured: surprise after spliced anomalies, syllable-rate entrainment, turn-end
prediction and speed of the offline listening graph (graphs/listen.yaml).

Inputs come from benchmarks/listen_inputs.py (eSpeak NG and psigraph voices, made offline and cached
in --inputs). Definitions:

* **surprise** — an anomaly is detected when a ``surprise`` event falls within 150 ms after its
  splice time; recall over all anomalies (and per kind), latency distribution of the detections, and
  false alarms = surprise events per 10 s of the *clean* clips (the same turns without splices);
* **entrainment** — the entrained syllable oscillator's frequency (entrainment.syllable_hz, the
  median phase velocity of psi_core's ``syllable`` role over the last 250 ms of heard speech)
  averaged over the speaking ticks of a clean clip
  (silent gaps ≥ 150 ms removed, as the input's rate is measured), against the input's syllables per
  second of speaking time (CMU syllable counts for eSpeak, planner syllable events for psigraph);
* **turn end** — a turn (one sentence, followed by ≥ 1.1 s of silence; multi-sentence turns are
  measured by benchmarks/listening_turns.py) is predicted when a
  ``turn_end_predicted`` event arrives 0.1–1.0 s before its last sound; every other such event is
  false (per 10 s of clean clips);
* **speed** — seconds of audio per second of wall time of the offline listening graph (no face
  render) on one core, next to its peer measured in the same run: the listener node alone
  (feature extraction, onsets, novelty) and the speak graph saying the same duration.

Run: ``python benchmarks/listening.py [--inputs DIR] [--quick]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import listen_inputs as li  # noqa: E402

DETECT_S = 0.15
LATE_S = 0.4          # also reported: surprises up to this long after a splice
SEARCH_S = 0.6        # latency distributions: the first surprise up to this long after a splice
TURN_LEAD = (0.1, 1.0)
RATE_VOICES = [li.Voice("espeak", "en-us", s, 50) for s in (115, 150, 190, 230, 270, 310)] + \
    [li.Voice("psigraph", rate=r) for r in (0.9, 1.5)] + \
    [li.Voice("espeak", "en-us", s, 50) for s in (130, 250)] + \
    [li.Voice("espeak", "en+f3", 170, 70), li.Voice("espeak", "en-gb", 140, 45), li.Voice("psigraph", rate=1.2)]


# ---------------------------------------------------------------- running the graph
def listen(path: str, params: dict | None = None, block: int = 4800) -> dict:
    """Run graphs/listen.yaml (no face) on ``path``: events by kind (seconds), entrainment rows,
    listener feature rows, the wall time and the duration heard."""
    import psigraph
    from psigraph.runtime import Session
    from psigraph.runtime.shipped import graph_path
    g = psigraph.load(graph_path("listen"))
    g.set_param("source", "path", path)
    for ref, v in (params or {}).items():
        nid, name = ref.split(".")
        g.set_param(nid, name, v)
    g.remove_node("face")
    refs = ["surprise.events", "listener.events", "entrain.events", "entrain.entrainment", "listener.features"]
    got_all = {r: [] for r in refs}
    with Session(g, block=block) as s:
        for r in refs:
            s.watch(r)
        t0 = time.perf_counter()
        for got in s.until_done(max_duration=None):
            for r in refs:
                got_all[r].append(got[r])
        wall = time.perf_counter() - t0
        seconds = s.now / s.master_rate
    events: dict = {}
    for r in refs[:3]:
        for e in (e for b in got_all[r] for e in b):
            events.setdefault(e.kind, []).append(e.t / 24000.0)
    return {"events": events, "entrainment": np.vstack(got_all["entrain.entrainment"]), "wall": wall,
            "seconds": seconds, "features": np.vstack(got_all["listener.features"])}


def inputs(directory: str, voices=li.VOICES, clips: int = 2, turns: int = 6, log=None) -> dict:
    """The anomaly corpus (made once, then read from ``directory``; remade when it was made by an
    older listen_inputs, see ``listen_inputs.CORPUS_VERSION``)."""
    path = os.path.join(directory, "manifest.json")
    if os.path.exists(path):
        with open(path) as f:
            manifest = json.load(f)
        if manifest.get("version") == li.CORPUS_VERSION:
            return manifest
    return li.build(directory, voices, clips_per_voice=clips, turns=turns, log=log)


# ---------------------------------------------------------------- scores
def surprise_scores(manifest: dict, heard: dict) -> dict:
    """Recall within 150 ms, per kind, detection latencies (s) and false alarms per 10 s of clean clips."""
    lat, by_kind, late, total, fa, clean_s = [], {}, {}, 0, 0, 0.0
    for c in manifest["clips"]:
        ts = heard[c["name"]]["events"].get("surprise", [])
        if c["anomalies"]:
            for t, kind in c["anomalies"]:
                d = [x - t for x in ts if 0.0 <= x - t <= DETECT_S]
                total += 1
                k = by_kind.setdefault(kind, [0, 0])
                k[1] += 1
                if any(0.0 <= x - t <= LATE_S for x in ts):
                    late[kind] = late.get(kind, 0) + 1
                if d:
                    k[0] += 1
                    lat.append(d[0])
        else:
            fa += len(ts)
            clean_s += c["duration_s"]
    return {"recall": len(lat) / max(total, 1), "detected": len(lat), "anomalies": total, "by_kind": by_kind,
            "within_late": late,
            "latency_s": lat, "false_per_10s": 10.0 * fa / max(clean_s, 1e-9), "clean_s": clean_s}


def observable_times(manifest: dict, heard: dict) -> dict:
    """When each anomaly is first observable in the signal, per clip name: [(time_s or None, kind)].

    A pitch, speaker or reversed splice changes the sound at once: its splice time. A tempo jump is a
    statement about intervals, so it is observable once the first complete inter-onset interval at
    the new tempo has ended: the second syllable onset after the splice. The onsets are the
    listener's ``syllable_onset`` events on the clean twin (the same turn, unspliced), mapped
    through the splice's compression (time after the splice / ``listen_inputs.TEMPO``); None when
    the turn ends before a second onset."""
    clips = {c["name"]: c for c in manifest["clips"]}
    out = {}
    for c in manifest["clips"]:
        if not c["anomalies"]:
            continue
        twin = clips.get(c["name"].replace("-anomalies", "-clean"))
        onsets = heard[twin["name"]]["events"].get("syllable_onset", []) if twin else []
        rows = []
        for t, kind in c["anomalies"]:
            if kind != "tempo":
                rows.append((t, kind))
                continue
            i = next(j for j, (a, b) in enumerate(c["turns"]) if a <= t <= b)
            start, (c0, c1) = c["turns"][i][0], twin["turns"][i] if twin else (0.0, 0.0)
            u = t - start                                    # the splice, in the turn's own time
            later = [o - c0 for o in onsets if c0 + u <= o <= c1]
            rows.append((t + (later[1] - u) / li.TEMPO if len(later) >= 2 else None, kind))
        out[c["name"]] = rows
    return out


def latency_table(manifest: dict, heard: dict) -> dict:
    """Per kind: latency (s) of the first surprise within ``SEARCH_S`` after each splice, measured
    from the splice and from when the anomaly is first observable (:func:`observable_times`), and
    how long after the splice that is."""
    seen = observable_times(manifest, heard)
    out = {}
    for c in manifest["clips"]:
        if not c["anomalies"]:
            continue
        ts = heard[c["name"]]["events"].get("surprise", [])
        for (t, kind), (obs, _) in zip(c["anomalies"], seen[c["name"]]):
            first = next((x for x in ts if 0.0 <= x - t <= SEARCH_S), None)
            row = out.setdefault(kind, {"from_splice": [], "from_observable": [], "observable_after": []})
            row["from_splice"].append(None if first is None else first - t)
            row["from_observable"].append(None if first is None or obs is None else first - obs)
            row["observable_after"].append(None if obs is None else obs - t)
    return out


def _distribution(values: list) -> str:
    """'n of N: min / median / p90 / max ms' of the known values."""
    got = np.array([v for v in values if v is not None]) * 1000
    if not len(got):
        return f"0 of {len(values)}"
    return (f"{len(got)} of {len(values)}: {got.min():.0f} / {np.median(got):.0f} / {np.percentile(got, 90):.0f} / "
            f"{got.max():.0f} ms")


def tempo_cues(features: np.ndarray) -> dict:
    """Per control tick, the listener's two tempo cues and their combination, recomputed from its
    feature rows as the listener computes them (nodes/listen/rhythm.py and speaker.py, the
    graph's parameters): ``interval`` (running period over the mean of the last two inter-onset
    intervals), ``nucleus`` (running mean nucleus duration over the last one's, held 150 ms) and
    ``speedup`` (their geometric mean, the listener's ``speedup`` column)."""
    from psigraph.nodes.listen.node import LISTEN_LABELS
    from psigraph.nodes.listen.rhythm import RhythmTracker
    from psigraph.nodes.listen.speaker import SpeakerModel
    col = {n: i for i, n in enumerate(LISTEN_LABELS)}
    rhythm = RhythmTracker(200.0, rise_db=6.0, drop_db=5.0, pause_s=0.15, min_periodicity=0.5)
    model = SpeakerModel(200.0)
    out = np.zeros((len(features), 3))
    for k, row in enumerate(features):
        period = rhythm.ioi_s
        tick = rhythm.step(k, row[col["nucleus_db"]], row[col["periodicity"]])
        both = model.speedup(k, tick.onset, tick.boundary, period, rhythm.state.counted > 5, tick.nucleus_s)
        st = model.state
        out[k] = (st.speedup, st.nucleus_ratio if k < st.nucleus_until else 1.0, both)
    return {"interval": out[:, 0], "nucleus": out[:, 1], "speedup": out[:, 2]}


def tempo_separation(manifest: dict, heard: dict, window_s: float = DETECT_S) -> dict:
    """AUC of each tempo cue (:func:`tempo_cues`): its largest value in the ``window_s`` after a tempo
    splice against the same on clean speech (windows starting every 50 ms at loud speech ticks of
    the clean twins, after their first turn); 0.5 is chance."""
    pos, neg = {}, {}
    for c in manifest["clips"]:
        kinds = [t for t, kind in c["anomalies"] if kind == "tempo"]
        if c["anomalies"] and not kinds:
            continue
        f = heard[c["name"]]["features"]
        cues = tempo_cues(f)
        w = int(round(window_s * 200))
        if c["anomalies"]:
            starts = [int(round(t * 200)) for t in kinds]
        else:
            from psigraph.nodes.listen.node import LISTEN_LABELS
            env, speech = f[:, LISTEN_LABELS.index("env_db")], f[:, LISTEN_LABELS.index("speech")] > 0
            k = np.flatnonzero(speech & (env > env.max() - 12.0))
            starts = k[(k > c["turns"][1][0] * 200) & (k < len(f) - w - 1)][::10]
        for name, v in cues.items():
            (pos if c["anomalies"] else neg).setdefault(name, []).extend(v[s + 1:s + w + 1].max() for s in starts)
    out = {}
    for name in pos:
        p, q = np.array(pos[name])[:, None], np.array(neg[name])[None, :]
        out[name] = float(((p > q).sum() + 0.5 * (p == q).sum()) / (p.size * q.size))
    return out


def surprise_table(manifest: dict, heard: dict) -> list:
    """One row per voice: (voice, caught/spliced per kind, false surprises per 10 s of its clean clips)."""
    rows = []
    for voice in sorted({c["voice"] for c in manifest["clips"]}):
        s = surprise_scores({"clips": [c for c in manifest["clips"] if c["voice"] == voice]}, heard)
        rows.append((voice, s["by_kind"], s["false_per_10s"]))
    return rows


def turn_scores(manifest: dict, heard: dict) -> dict:
    """Turns predicted 0.1–1.0 s ahead, their leads (s), and false predictions per 10 s (clean clips)."""
    hits, leads, total, false, dur = 0, [], 0, 0, 0.0
    for c in manifest["clips"]:
        if c["anomalies"]:
            continue
        ts = heard[c["name"]]["events"].get("turn_end_predicted", [])
        used = set()
        for _, end in c["turns"]:
            total += 1
            cand = [t for t in ts if TURN_LEAD[0] <= end - t <= TURN_LEAD[1]]
            if cand:
                hits += 1
                leads.append(end - cand[0])
                used.add(cand[0])
        false += len([t for t in ts if t not in used])
        dur += c["duration_s"]
    return {"hit_rate": hits / max(total, 1), "hits": hits, "turns": total, "leads_s": leads,
            "false_per_10s": 10.0 * false / max(dur, 1e-9)}


def speaking_mask(audio: np.ndarray, ticks: int, floor_db: float = 40.0, pause_s: float = 0.15) -> np.ndarray:
    """Per control tick (5 ms): inside speech, with silent gaps ≥ ``pause_s`` and the silence around
    turns removed (the definition listen_inputs.speaking_seconds uses)."""
    db = li.frame_db(audio)
    on = db > db.max() - floor_db
    mask = on.copy()
    idx = np.flatnonzero(on)
    for a, b in zip(idx[:-1], idx[1:]):
        if b - a - 1 < int(pause_s * 200):
            mask[a:b] = True
    out = np.zeros(ticks, dtype=bool)
    m = mask[:ticks]
    out[2:2 + len(m)] = m[:max(0, ticks - 2)]              # frame centres lag the tick by 10 ms
    return out


def rate_tracking(directory: str, voices=RATE_VOICES, turns: int = 4, log=None) -> list:
    """[(voice, input syll/s, entrained Hz, relative error)] on clean clips at several rates."""
    import soundfile as sf
    os.makedirs(directory, exist_ok=True)
    rows = []
    for v in voices:
        path = os.path.join(directory, f"rate-{v.label}.wav")
        meta = path + ".json"
        if not os.path.exists(meta):
            audio, clip = li.rate_clip(v.label, v, li.SENTENCES[:turns])
            sf.write(path, audio, li.RATE, subtype="PCM_16")
            with open(meta, "w") as f:
                json.dump({"syllables": clip.syllables, "speaking_s": clip.speaking_s}, f)
        with open(meta) as f:
            info = json.load(f)
        audio, _ = sf.read(path, dtype="float64")
        heard = listen(path)
        hz = heard["entrainment"][:, 0]
        mask = speaking_mask(audio, len(hz))
        true_rate = info["syllables"] / info["speaking_s"]
        got = float(hz[mask].mean())
        rows.append((v.label, true_rate, got, got / true_rate - 1.0))
        if log:
            log(f"  {v.label:28s} input {true_rate:5.2f} syll/s  entrained {got:5.2f} Hz  "
                f"({100 * (got / true_rate - 1):+.1f} %)")
    return rows


def speed(path: str) -> dict:
    """Real-time ratios of the listening graph and of its peers on one core (same run)."""
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    listen(path)                                          # warm caches
    heard = listen(path)
    import soundfile as sf
    from psigraph.nodes.listen.features import FeatureExtractor
    x, sr = sf.read(path, dtype="float64")
    t0 = time.perf_counter()
    fe = FeatureExtractor(float(sr))
    for a in range(0, len(x), 4800):
        fe.push(x[a:a + 4800])
        k = np.arange(-(-a // 120), -(-min(len(x), a + 4800) // 120))
        fe.rows(-(-(k * 120) // (sr // 8000)))
    feat_wall = time.perf_counter() - t0
    dur = len(x) / sr
    n, t0 = 0, None
    from psigraph.runtime.say import stream
    for block in stream(" ".join(li.SENTENCES[:4]), emotion="neutral", block=4800):
        if t0 is None:                                    # the clock starts after start-up (as for listen)
            t0 = time.perf_counter()
            continue
        n += len(block)
        if n >= dur * 24000:
            break
    say_wall = time.perf_counter() - t0
    return {"listen_x": heard["seconds"] / heard["wall"], "features_x": dur / feat_wall,
            "say_x": (n / 24000) / say_wall, "seconds": heard["seconds"]}


def live(path: str, anomalies: list, seconds: float = 60.0, block: int = 480) -> dict:
    """Listen to ``path`` (looped to ``seconds``) from a simulated microphone paced in real time
    (psigraph.runtime.realtime.SimulatedInput: a sound card without hardware; the null ALSA device
    is not paced). Returns the input under-runs/overruns and, on the master clock, the latency from
    each anomaly to the first surprise and to the first face reaction after it."""
    import soundfile as sf

    import psigraph
    from psigraph.runtime import Session
    from psigraph.runtime.realtime import InputRunner, SimulatedInput
    from psigraph.runtime.shipped import graph_path
    x, sr = sf.read(path, dtype="float64")
    reps = int(np.ceil(seconds * sr / len(x)))
    signal = np.tile(x, reps)[:int(seconds * sr)]
    spliced = [(t + r * len(x) / sr, kind) for r in range(reps) for t, kind in anomalies
               if t + r * len(x) / sr < seconds]
    times = [t for t, _ in spliced]
    g = psigraph.load(graph_path("listen"))
    with Session(g, block=max(block, 4800)) as s:           # the runner advances by `block` when in time
        s.tap("surprise.events")
        s.tap("face.reactions")
        runner = InputRunner(s, block=block)
        runner.start()
        SimulatedInput(runner.callback, signal, int(sr), block).run()
        runner.stop()
        surprises = [e.t / s.master_rate for e in s.tap("surprise.events")]
        reactions = [e.t / s.master_rate for e in s.tap("face.reactions")
                     if (e.payload or {}).get("what") in ("brow", "frown")]
        stats = runner.stats()

    def first_after(ts, t):
        later = [u - t for u in ts if 0.0 <= u - t <= 0.5]
        return later[0] if later else None
    return {**stats, "anomalies": len(times), "kinds": [k for _, k in spliced],
            "to_surprise": [first_after(surprises, t) for t in times],
            "to_reaction": [first_after(reactions, t) for t in times]}


def contact_sheet(path: str, out_png: str, anomalies: list, size: int = 256) -> dict:
    """`psigraph listen IN --video` on ``path``, then two strips of frames (before, then 50, 117 and
    200 ms into the reaction): the brow raise after the first spliced anomaly (``anomalies``:
    [time, kind]) and the first nod well away from any surprise, as a PNG contact sheet."""
    import subprocess
    import tempfile

    import av
    with tempfile.TemporaryDirectory() as d:
        video, events = os.path.join(d, "v.mp4"), os.path.join(d, "e.jsonl")
        subprocess.run([sys.executable, "-m", "psigraph.runtime.cli", "listen", path, "--video", video,
                        "--events", events, "--size", str(size), "-q"], check=True)
        rows = [json.loads(line) for line in open(events)]
        frames = []
        with av.open(video) as c:
            for f in c.decode(video=0):
                frames.append(f.to_ndarray(format="rgb24"))
    react = [r for r in rows if r["kind"] == "reaction"]
    brows = [r for r in react if r["payload"]["what"] == "brow"]
    chosen = {"brow": next((r for r in brows if any(0 <= r["time"] - t <= 0.3 for t, _ in anomalies)), None),
              "nod": next((r for r in react if r["payload"]["what"] == "nod"
                           and all(abs(r["time"] - b["time"]) > 0.6 for b in brows)), None)}
    picks = {}
    for what, r in chosen.items():
        if r is not None:
            f0 = int(round(r["time"] * 60))
            picks[what] = (r["time"], [min(len(frames) - 1, max(0, f0 + o)) for o in (-6, 3, 7, 12)])
    strips = []
    for what, (_, idx) in picks.items():
        strips.append(np.concatenate([frames[i] for i in idx], axis=1))
    sheet = np.concatenate(strips, axis=0) if strips else np.zeros((size, size, 3), np.uint8)
    from psigraph.nodes.face.png import write_png
    write_png(out_png, sheet)
    return {w: t for w, (t, _) in picks.items()}


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="listening-mode benchmark")
    ap.add_argument("--inputs", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "psigraph_listen_inputs"))
    ap.add_argument("--quick", action="store_true", help="one clip per voice, fewer rates")
    ap.add_argument("--live", type=float, default=0.0, metavar="S",
                    help="only the live run: S seconds from a simulated microphone")
    ap.add_argument("--contact-sheet", metavar="PNG", help="only the contact sheet of a surprise and a nod")
    ap.add_argument("--surprise", action="store_true", help="only the surprise scores (recall, latency, false alarms)")
    ap.add_argument("--held-out", action="store_true",
                    help="the held-out voices (listen_inputs.HELD_OUT, never used for tuning) instead of the tuned ones")
    a = ap.parse_args(argv)
    log = lambda s: print(s, file=sys.stderr)                 # noqa: E731
    corpus = os.path.join(a.inputs, ("held_out-" if a.held_out else "") + ("quick" if a.quick else "full"))
    manifest = inputs(corpus, voices=li.HELD_OUT if a.held_out else li.VOICES, clips=1 if a.quick else 2,
                      turns=6, log=log)
    first = next(c for c in manifest["clips"] if c["anomalies"])
    if a.contact_sheet:
        got = contact_sheet(os.path.join(corpus, first["name"] + ".wav"), a.contact_sheet, first["anomalies"])
        print(f"contact sheet {a.contact_sheet}: reactions at {got}")
        return 0
    if a.live:
        r = live(os.path.join(corpus, first["name"] + ".wav"), first["anomalies"], a.live)
        for key in ("to_surprise", "to_reaction"):
            for kind in sorted(set(r["kinds"])):
                got = [1000 * v for v, k in zip(r[key], r["kinds"]) if k == kind and v is not None]
                n = sum(k == kind for k in r["kinds"])
                print(f"live {key.replace('_', ' ')} after {kind}: {len(got)}/{n} within 500 ms; latency ms "
                      f"{' '.join(f'{v:.0f}' for v in got) or '-'}")
        print(f"live: {r['graph_time_s']:.1f} s heard in real time; input under-runs {r['input_underruns']}, "
              f"overruns {r['input_overruns']} ({r['input_dropped_frames']} frames dropped); "
              f"loadavg {open('/proc/loadavg').read().split()[0]}")
        return 0
    heard = {c["name"]: listen(os.path.join(corpus, c["name"] + ".wav")) for c in manifest["clips"]}
    s = surprise_scores(manifest, heard)
    lat = np.array(s["latency_s"]) * 1000
    voices = sorted({c["voice"] for c in manifest["clips"]})
    print(f"surprise: {s['detected']}/{s['anomalies']} anomalies detected within {DETECT_S * 1000:.0f} ms "
          f"(recall {100 * s['recall']:.0f} %) in {len(voices)} voices/rates")
    for kind, (h, n) in sorted(s["by_kind"].items()):
        print(f"  {kind:9s} {h}/{n}   (within {LATE_S * 1000:.0f} ms: {s['within_late'].get(kind, 0)}/{n})")
    if len(lat):
        print(f"  latency ms: min {lat.min():.0f}, median {np.median(lat):.0f}, p90 {np.percentile(lat, 90):.0f}, "
              f"max {lat.max():.0f}")
    print(f"  false alarms: {s['false_per_10s']:.2f} per 10 s of clean speech ({s['clean_s']:.0f} s heard)")
    kinds = sorted(s["by_kind"])
    print(f"  {'voice':28s} " + " ".join(f"{k:>8s}" for k in kinds) + "  false/10 s")
    for voice, by_kind, fa in surprise_table(manifest, heard):
        cells = " ".join(f"{'%d/%d' % tuple(by_kind.get(k, (0, 0))):>8s}" for k in kinds)
        print(f"  {voice:28s} {cells}  {fa:6.2f}")
    print(f"  latency of the first surprise within {SEARCH_S * 1000:.0f} ms, min / median / p90 / max "
          f"(the criterion is from the splice; 'observable' = when the anomaly is first in the signal: the "
          f"splice, or for a tempo jump the end of the first complete inter-onset interval at the new tempo)")
    for kind, row in sorted(latency_table(manifest, heard).items()):
        print(f"  {kind:9s} from the splice      {_distribution(row['from_splice'])}")
        print(f"  {'':9s} from observable      {_distribution(row['from_observable'])}")
        if kind == "tempo":
            early = sum(v is not None and v <= DETECT_S for v in row["observable_after"])
            print(f"  {'':9s} observable after     {_distribution(row['observable_after'])} (the splice to the "
                  f"end of that interval; {early} within {DETECT_S * 1000:.0f} ms)")
    for w in (DETECT_S, 0.25):
        auc = tempo_separation(manifest, heard, w)
        print(f"  tempo cues, AUC of the largest value within {w * 1000:.0f} ms of a tempo splice vs clean speech: "
              + ", ".join(f"{k} {v:.2f}" for k, v in auc.items()))
    if a.surprise:
        return 0
    t = turn_scores(manifest, heard)
    print(f"turn end: {t['hits']}/{t['turns']} turns predicted 100-1000 ms ahead ({100 * t['hit_rate']:.0f} %), "
          f"median lead {1000 * float(np.median(t['leads_s'])) if t['leads_s'] else 0:.0f} ms; "
          f"false {t['false_per_10s']:.2f} per 10 s")
    print("entrainment (entrained syllable frequency vs input syllable rate):")
    rows = rate_tracking(os.path.join(a.inputs, "rates"), RATE_VOICES[::2] if a.quick else RATE_VOICES, log=print)
    inside = [r for r in rows if 3.0 <= r[1] <= 7.0]
    ok = sum(abs(r[3]) <= 0.10 for r in inside)
    print(f"  within 10 %: {ok}/{len(inside)} clips with input rates 3-7 syll/s")
    sp = speed(os.path.join(corpus, manifest["clips"][0]["name"] + ".wav"))
    print(f"speed (one core): listening graph {sp['listen_x']:.1f}x real time; peers in the same run: "
          f"listener features alone {sp['features_x']:.1f}x, speak graph {sp['say_x']:.1f}x; "
          f"loadavg {open('/proc/loadavg').read().split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
