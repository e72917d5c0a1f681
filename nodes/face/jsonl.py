"""Per-frame JSON Lines (the frames format of `psigraph say --frames`): {"frame", "t", "blendshapes": {52 ARKit names}, "viseme", "events"}.

With frames_sink ``landmarks: true`` each record also has ``landmarks`` (68 [x, y] of the rendered
head on the default camera's image, 0..1, y down), ``lip_gap_mm`` and ``eye_open_mm`` [left, right].
"""
from __future__ import annotations

import json

from psigraph.outputs import atomic_write

from .arkit import ARKIT_NAMES, BLENDSHAPE_LABELS, viseme_name


def frame_record(frame: int, fps: float, row, labels=BLENDSHAPE_LABELS, events=(), digits: int = 4,
                 extra: dict | None = None) -> dict:
    """One record; weights rounded to ``digits`` decimals, the viseme as its OVR id; ``extra`` fields appended."""
    pos = {n: i for i, n in enumerate(labels)}
    bs = {n: round(float(row[pos[n]]), digits) + 0.0 if n in pos else 0.0 for n in ARKIT_NAMES}   # + 0.0: no "-0.0"
    vis = viseme_name(row[pos["viseme"]]) if "viseme" in pos else "sil"
    rec = {"frame": int(frame), "t": round(frame / fps, 6), "blendshapes": bs, "viseme": vis, "events": list(events)}
    if extra:
        rec.update(extra)
    return rec


def write_frames_jsonl(path: str, rows, labels=BLENDSHAPE_LABELS, *, fps: float, events=None,
                       digits: int = 4, first_frame: int = 0) -> int:
    """Write blendshape rows as JSON Lines (atomically); ``events`` maps frame index → [kinds].
    Returns the frame count."""
    events = events or {}
    count = [0]

    def write(f):
        for i, row in enumerate(rows):
            fr = first_frame + i
            f.write((json.dumps(frame_record(fr, fps, row, labels, events.get(fr, ()), digits),
                                separators=(",", ":")) + "\n").encode("utf-8"))
            count[0] += 1

    atomic_write(path, write)
    return count[0]


def event_frames(events, *, fps: float, master_rate: int) -> dict:
    """Events (with master-sample ``t``) → {first video frame at or after t: [kinds]}."""
    period = int(round(master_rate / fps))
    out: dict = {}
    for e in events:
        out.setdefault(-(-int(e.t) // period), []).append(e.kind)
    return out


def read_frames_jsonl(path: str) -> list[dict]:
    """The records of a frames file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
