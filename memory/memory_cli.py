"""`psigraph memory list|verify|forget STORE`: what a ψ-memory store holds, whether it is intact,
and erasing utterances from it (the space is reclaimed: the speech leaves the file).

Every subcommand takes ``--key-file PATH`` (else ``$PSIGRAPH_DB_KEY``; neither: the store is
opened as plain SQLite with a one-line notice). Problems are one line each on stderr, exit 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from .keys import add_key_argument


def _utterance_id(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an utterance id (a positive integer), got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"utterance ids start at 1 (got {text})")
    return v


def register(sub) -> None:
    p = sub.add_parser("memory", help="list, verify or forget what a ψ-memory store holds",
                       description="Inspect a ψ-memory store written by 'psigraph say --db STORE'.")
    ms = p.add_subparsers(dest="memory_command", metavar="{list,verify,forget}", required=True)
    ls = ms.add_parser("list", help="one line per utterance: id, time, duration, emotion, size (text if kept)",
                       description="List the committed utterances of STORE, oldest first. The text is shown only "
                       "for utterances recorded with --keep-text.")
    ls.add_argument("store", metavar="STORE")
    ls.add_argument("--json", action="store_true", help="one JSON object per utterance instead of a table")
    add_key_argument(ls)
    ls.set_defaults(run=run_list)
    v = ms.add_parser("verify", help="check the schema and the CRC of every frame (exit 1 on any problem)",
                      description="Check STORE: the psi_frames schema (DESIGN §7), SQLite's integrity check, the "
                      "integrity CRC and decoding of every frame. Each problem names the frame and utterance.")
    v.add_argument("store", metavar="STORE")
    add_key_argument(v)
    v.set_defaults(run=run_verify)
    f = ms.add_parser("forget", help="delete utterances and reclaim their space",
                      description="Delete the utterances ID... and all their frames from STORE, then rebuild the "
                      "file (VACUUM) so the erased speech no longer lies in it.")
    f.add_argument("store", metavar="STORE")
    f.add_argument("ids", nargs="+", type=_utterance_id, metavar="ID")
    add_key_argument(f)
    f.set_defaults(run=run_forget)


def _open(args):
    from .keys import open_store
    return open_store(args.store, args.key_file, create=False, notice=True)


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _emotion(e) -> str:
    if isinstance(e, str):
        return e
    return ",".join(f"{v:+.2f}" for v in e)


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def run_list(args) -> int:
    with _open(args) as store:
        utts = store.utterances()
    if args.json:
        for u in utts:
            print(json.dumps({"id": u.id, "started_ms": u.started_ms, "duration_ms": u.duration_ms,
                              "persona": u.persona, "emotion": list(u.emotion) if not isinstance(u.emotion, str)
                              else u.emotion, "size_bytes": u.size_bytes, "text": u.text,
                              "frames": list(u.frame_counts)}, ensure_ascii=False))
        return 0
    if not utts:
        print(f"{args.store}: no utterances")
        return 0
    print(f"{'id':>5}  {'time':19}  {'duration':>8}  {'emotion (v,a,d)':17}  {'size':>8}  {'persona':10}  text")
    width = max(20, _columns() - 84)
    for u in utts:
        text = _one_line(u.text, width) if u.text is not None else "-"
        print(f"{u.id:>5}  {_when(u.started_ms):19}  {u.duration_ms / 1000:>6.2f} s  {_emotion(u.emotion):17}  "
              f"{_size(u.size_bytes):>8}  {_one_line(u.persona, 10):10}  {text}")
    total = sum(u.duration_ms for u in utts) / 1000
    print(f"{len(utts)} utterances, {total:.1f} s of speech; file {_size(_file_size(args.store))}")
    return 0


def _columns() -> int:
    try:
        return int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
    except (ValueError, OSError):
        return 120


def _file_size(path: str) -> int:
    return sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))


def run_verify(args) -> int:
    with _open(args) as store:
        problems = store.verify()
        utts = store.utterances() if not any(p.startswith("schema:") for p in problems) else []
    for p in problems:
        print(f"{args.store}: error: {p}", file=sys.stderr)
    if problems:
        print(f"{args.store}: {len(problems)} problem{'s' if len(problems) != 1 else ''} found", file=sys.stderr)
        return 1
    frames = sum(sum(u.frame_counts) for u in utts)
    print(f"{args.store}: ok: {len(utts)} utterances, {frames} frames, schema and every integrity CRC check out")
    return 0


def run_forget(args) -> int:
    with _open(args) as store:
        before = _file_size(args.store)
        frames = sum(sum(store.utterance(i).frame_counts) for i in set(args.ids))
        n = store.forget(args.ids)
        after = _file_size(args.store)
    ids = ", ".join(str(i) for i in sorted(set(args.ids)))
    print(f"{args.store}: forgot utterance{'s' if n != 1 else ''} {ids} ({frames} frames); "
          f"file {_size(before)} -> {_size(after)}")
    return 0
