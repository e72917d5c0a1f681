"""--db: every clip records into its own shard of the batch's store; the batch merges them at the end.

Workers never write the store itself, so there is nothing to lock across machines: the store has
one writer, the batch process, which merges the shards of completed clips in job order (one
transaction each) and deletes each shard once merged. Merging is idempotent, so a batch killed
between the two steps merges nothing twice when it is rerun.
"""
from __future__ import annotations

import os

from .clip import Clip


def open_store(db: str, key_file: str | None, *, notice: bool):
    """The batch's store, created when missing (so workers can copy its keys into their shards)."""
    from psigraph.memory import keys
    return keys.open_store(db, key_file, create=True, notice=notice)


def merge_shards(db: str, key_file: str | None, clips: list[Clip]) -> dict:
    """{clip name: [utterance ids in the store]} for each clip whose shard was merged now."""
    merged = {}
    store = open_store(db, key_file, notice=False)
    try:
        for clip in clips:
            if clip.shard and os.path.exists(clip.shard) and os.path.exists(clip.manifest):
                merged[clip.name] = store.merge(clip.shard)
                for suffix in ("", "-wal", "-shm", "-journal"):
                    try:
                        os.unlink(clip.shard + suffix)
                    except FileNotFoundError:
                        pass
    finally:
        store.close()
    return merged
