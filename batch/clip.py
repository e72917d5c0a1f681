"""One clip of a batch: its name, its `say` options, and whether it is already complete.

A clip's files are named ``<id>-<key>`` where ``key`` hashes everything its bytes depend on (text,
emotion, persona, like/mix, video size, the graph file's bytes, the seed, whether it is recorded,
the psigraph version; not the code between versions):
change any of them and the clip is a new one; rerun the same batch and the names are the same.
A clip is *complete* when its manifest (``.batch/<name>.json``, written atomically after its
outputs) lists every output this batch asks for and each file still has the size and SHA-256 the
manifest records. Only plain data crosses to workers: paths and options, never arrays.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os

from psigraph.runtime.say import SayOptions, default_graph_path

from psigraph.outputs import atomic_write

from .jobs import Job

#: bump when the way clips are rendered changes, so old outputs are not taken as complete
FORMAT = 1
STATE_DIR = ".batch"
KEY_CHARS = 12
VIDEO_EXT = ".mp4"


@dataclasses.dataclass(frozen=True)
class Settings:
    """What one batch asks of every clip (command-line flags)."""
    out: str
    frames: bool = False
    video: bool = False
    size: int = 640
    graph: str | None = None
    seed: int | None = None
    db: str | None = None
    key_file: str | None = None
    keep_text: bool = False


@dataclasses.dataclass(frozen=True)
class Clip:
    """A rendering task: ``opts`` writes the outputs; ``shard`` is the store it records into (with --db)."""
    id: str
    line: int
    name: str
    key: str
    opts: SayOptions | None
    manifest: str
    attempts: str
    shard: str | None = None
    db: str | None = None
    error: str | None = None

    @property
    def outputs(self) -> dict:
        """{kind: path} of the files this clip publishes."""
        if self.opts is None:
            return {}
        o = self.opts
        return {k: p for k, p in (("wav", o.output), ("frames", o.frames), ("video", o.video)) if p}


def graph_digest(graph: str | None) -> str:
    """SHA-256 of the graph file's bytes (the shipped speak.yaml when None)."""
    path = graph or default_graph_path()
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as e:
        from psigraph.errors import PsigraphError
        raise PsigraphError(f"cannot read the graph: {e.strerror or e}", where=path) from None


def plan(job: Job, settings: Settings, digest: str) -> Clip:
    """The clip for ``job`` under ``settings`` (``digest``: :func:`graph_digest` of the graph)."""
    import psigraph
    identity = {"format": FORMAT, "psigraph": psigraph.__version__, "text": job.text, "emotion": job.emotion, "persona": job.persona,
                "like": list(job.like), "mix": job.mix, "size": settings.size if settings.video else None,
                "graph": digest, "seed": settings.seed, "recorded": bool(settings.db),
                "keep_text": settings.keep_text}
    key = hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:KEY_CHARS]
    name = f"{job.id}-{key}"
    out, state = settings.out, os.path.join(settings.out, STATE_DIR)
    common = {"id": job.id, "line": job.line, "name": name, "key": key,
              "manifest": os.path.join(state, f"{name}.json"), "attempts": os.path.join(state, f"{name}.attempts")}
    if job.error:
        return Clip(opts=None, error=job.error, **common)
    shard = os.path.join(state, f"{name}.psidb") if settings.db else None
    opts = SayOptions(text=job.text, output=os.path.join(out, f"{name}.wav"), emotion=job.emotion,
                      persona=job.persona, frames=os.path.join(out, f"{name}.jsonl") if settings.frames else None,
                      video=os.path.join(out, f"{name}{VIDEO_EXT}") if settings.video else None, size=settings.size,
                      graph=settings.graph, seed=settings.seed, db=shard, key_file=settings.key_file,
                      keep_text=settings.keep_text, like=job.like, mix=job.mix, mood=False, render_workers=0,
                      like_db=settings.db, pipeline=False)           # one thread per worker process
    return Clip(opts=opts, shard=shard, db=settings.db, **common)


def file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def completed(clip: Clip) -> dict | None:
    """The clip's manifest when it is complete and every output is intact, else None."""
    if clip.opts is None:
        return None
    try:
        with open(clip.manifest, encoding="utf-8") as f:
            manifest = json.load(f)
        files = manifest["outputs"]
        if manifest.get("key") != clip.key:
            return None
        for kind, path in clip.outputs.items():
            entry = files[kind]
            if os.path.getsize(path) != entry["bytes"] or file_digest(path) != entry["sha256"]:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest


def write_manifest(clip: Clip, record: dict) -> dict:
    """Publish the clip's manifest (``record`` + each output's size and SHA-256): the clip is complete."""
    files = {kind: {"path": os.path.basename(p), "bytes": os.path.getsize(p), "sha256": file_digest(p)}
             for kind, p in clip.outputs.items()}
    manifest = {"format": FORMAT, "id": clip.id, "key": clip.key, "outputs": files, **record}
    data = json.dumps(manifest, indent=1, sort_keys=True).encode()
    atomic_write(clip.manifest, lambda f: f.write(data))
    return manifest


def partial_files(clips: list[Clip]) -> list[str]:
    """Temporary files killed renders of ``clips`` may have left (``.NAME.PID.part``), to sweep. Each
    folder is listed once, whatever the number of clips."""
    bases: dict = {}
    for clip in clips:
        for path in list(clip.outputs.values()) + [clip.manifest]:
            folder, base = os.path.split(path)
            bases.setdefault(folder, set()).add(base)
    found = []
    for folder, names in bases.items():
        try:
            listed = os.listdir(folder)
        except OSError:
            continue
        found += [os.path.join(folder, n) for n in listed
                  if n.startswith(".") and n.endswith(".part") and n[1:].rsplit(".", 2)[0] in names]
    return found
