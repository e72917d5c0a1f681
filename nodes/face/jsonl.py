"""Per-frame JSON Lines (DESIGN §5): {"frame", "t", "blendshapes": {52 ARKit names}, "viseme", "events"}."""
from __future__ import annotations

import json
import os

from .arkit import ARKIT_NAMES, BLENDSHAPE_LABELS, viseme_name


def frame_record(frame: int, fps: float, row, labels=BLENDSHAPE_LABELS, events=(), digits: int = 4) -> dict:
    """One record; weights rounded to ``digits`` decimals, the viseme as its OVR id."""
    pos = {n: i for i, n in enumerate(labels)}
    bs = {n: round(float(row[pos[n]]), digits) if n in pos else 0.0 for n in ARKIT_NAMES}
    vis = viseme_name(row[pos["viseme"]]) if "viseme" in pos else "sil"
    return {"frame": int(frame), "t": round(frame / fps, 6), "blendshapes": bs, "viseme": vis, "events": list(events)}


def write_frames_jsonl(path: str, rows, labels=BLENDSHAPE_LABELS, fps: float = 60.0, events=None,
                       digits: int = 4, first_frame: int = 0) -> int:
    """Write blendshape rows as JSON Lines; ``events`` maps frame index → [kinds]. Returns the frame count."""
    events = events or {}
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + ".part"
    n = 0
    with open(tmp, "w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            fr = first_frame + i
            f.write(json.dumps(frame_record(fr, fps, row, labels, events.get(fr, ()), digits),
                               separators=(",", ":")) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


def event_frames(events, fps: float = 60.0, master_rate: int = 24000) -> dict:
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
