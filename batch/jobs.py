"""The JOBS file of `psigraph batch`: one utterance per line, or JSON Lines with one clip per line.

A text file gives one clip per non-blank line (id = its line number, 5 digits). JSON Lines (``.jsonl``
/ ``.ndjson``, or a file whose first non-blank line is a JSON object) give ``{"id", "text",
"emotion", "persona", "like", "mix"}`` per line; only ``text`` is required. A line that cannot be read
(not UTF-8, not JSON, no text, a bad id) becomes a :class:`Job` with an ``error``: that clip fails with
its one-line reason and every other clip still runs.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from psigraph.errors import PsigraphError

MAX_JOBS_BYTES = 256 * 1024 * 1024
FIELDS = ("id", "text", "emotion", "persona", "like", "mix")
#: ids become file names: letters, digits, '.', '_' and '-', at most 64, not starting with '.' or '-'
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Job:
    """One clip asked for by line ``line`` of the jobs file (``error``: why it cannot be rendered)."""
    id: str
    line: int
    text: str = ""
    emotion: str = "auto"
    persona: str = "default"
    like: tuple = ()
    mix: float | None = None
    error: str | None = None


def read_jobs(path: str) -> list[Job]:
    """The jobs of ``path`` in file order; a file that cannot be read at all is a PsigraphError."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_JOBS_BYTES + 1)
    except OSError as e:
        raise PsigraphError(f"cannot read the jobs file: {e.strerror or e}", where=path) from None
    if len(data) > MAX_JOBS_BYTES:
        raise PsigraphError(f"the jobs file is larger than {MAX_JOBS_BYTES // 2**20} MiB", where=path,
                            hint="split it into several batches")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    parse = _json_job if _is_json_lines(path, lines) else _text_job
    jobs = []
    for n, raw in enumerate(lines, 1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            jobs.append(parse(raw.decode("utf-8"), n))
        except UnicodeDecodeError as e:
            jobs.append(Job(id=f"{n:05d}", line=n, error=f"line {n}: the text is not UTF-8 (byte {e.start})"))
    jobs = _unique_ids(jobs)
    if not jobs:
        raise PsigraphError("the jobs file has no clips (no non-blank line)", where=path,
                            hint="one utterance per line, or one JSON object per line")
    return jobs


def jobs_from_dicts(rows) -> list[Job]:
    """Jobs from ``{"id", "text", …}`` dicts, checked exactly like the lines of a JSON Lines file."""
    jobs = [_json_job(json.dumps(row, ensure_ascii=False) if isinstance(row, dict) else "[]", n)
            for n, row in enumerate(rows, 1)]
    return _unique_ids(jobs)


def _unique_ids(jobs: list) -> list:
    out, seen = [], set()
    for job in jobs:
        if job.id in seen:
            job = Job(id=f"{job.line:05d}", line=job.line,
                      error=f"line {job.line}: id {job.id!r} is used by an earlier line")
        seen.add(job.id)
        out.append(job)
    return out


def _is_json_lines(path: str, lines: list) -> bool:
    if os.path.splitext(path)[1].lower() in (".jsonl", ".ndjson"):
        return True
    first = next((x.strip() for x in lines if x.strip()), b"")
    if not first.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def _text_job(line: str, n: int) -> Job:
    return Job(id=f"{n:05d}", line=n, text=line)


def _json_job(line: str, n: int) -> Job:
    fallback = f"{n:05d}"

    def bad(what: str) -> Job:
        return Job(id=fallback, line=n, error=f"line {n}: {what}")

    try:
        obj = json.loads(line)
    except ValueError as e:
        return bad(f"not a JSON object ({e.msg} at column {e.colno})")
    if not isinstance(obj, dict):
        return bad("not a JSON object (one {\"text\": ...} per line)")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        return bad(f"unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    jid = obj.get("id", fallback)
    if isinstance(jid, int) and not isinstance(jid, bool):
        jid = str(jid)
    if not isinstance(jid, str) or not _ID.fullmatch(jid):
        return bad(f"id {jid!r} must be 1-64 letters, digits, '.', '_' or '-' (it names the files)")
    text = obj.get("text")
    if not isinstance(text, str):
        return Job(id=jid, line=n, error=f"line {n}: \"text\" must be a string (got {type(text).__name__})")
    for field in ("emotion", "persona"):
        if not isinstance(obj.get(field, ""), str):
            return Job(id=jid, line=n, error=f"line {n}: \"{field}\" must be a string")
    like = obj.get("like", [])
    like = [like] if isinstance(like, (int, str)) and not isinstance(like, bool) else like
    if not isinstance(like, list) or not all(isinstance(x, (int, str)) and not isinstance(x, bool) for x in like):
        return Job(id=jid, line=n, error=f"line {n}: \"like\" is an utterance id, a text, or a list of them")
    mix = obj.get("mix")
    if mix is not None and (isinstance(mix, bool) or not isinstance(mix, (int, float))):
        return Job(id=jid, line=n, error=f"line {n}: \"mix\" must be a number 0..1")
    return Job(id=jid, line=n, text=text, emotion=obj.get("emotion", "auto"), persona=obj.get("persona", "default"),
               like=tuple(like), mix=None if mix is None else float(mix))
