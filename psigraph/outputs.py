"""Output files that never destroy what was there: written beside the target, moved in on commit.

Every sink writes through a :class:`PendingFile`: data goes to a hidden
temporary file in the target's folder (``.NAME.PID.part``); ``commit()`` moves
it over the target in one atomic rename; ``discard()`` deletes it. A command
that fails, or is interrupted, therefore leaves every earlier file untouched
and no partial file under the final name. :func:`path_issues` checks a path
before anything is opened, so bad arguments fail before any work is done.
"""
from __future__ import annotations

import os
import shutil

from .errors import Issue

__all__ = ["PendingFile", "atomic_write", "path_issues"]

_NAME_MAX = 255          # bytes in one path component on common file systems
_TEMP_EXTRA = 24         # what the temporary name adds: "." + ".<pid>.part"


class PendingFile:
    """A file being written under a temporary name next to ``path``.

    ``handle`` opens it on first use (binary). ``commit()`` publishes what was
    written so far; writing after a commit continues from a copy of the
    published file, so a later failure still leaves the last commit intact.
    """

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self.folder, name = os.path.split(self.path)
        self.tmp = os.path.join(self.folder, f".{name}.{os.getpid()}.part")
        self._f = None
        self._published = False

    @property
    def handle(self):
        if self._f is None:
            if self._published:                       # continue from the published snapshot
                shutil.copyfile(self.path, self.tmp)
                self._f = open(self.tmp, "r+b")
                self._f.seek(0, os.SEEK_END)
            else:
                os.makedirs(self.folder, exist_ok=True)
                self._f = open(self.tmp, "wb")
        return self._f

    @property
    def is_open(self) -> bool:
        return self._f is not None

    def commit(self) -> None:
        """Move what was written into place (atomic rename); no-op when nothing was written."""
        if self._f is None:
            return
        self._f.close()
        self._f = None
        os.replace(self.tmp, self.path)
        self._published = True

    def discard(self) -> None:
        """Forget uncommitted data: close and delete the temporary file."""
        if self._f is not None:
            self._f.close()
            self._f = None
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


def atomic_write(path: str, write) -> None:
    """Call ``write(f)`` on a temporary binary file and move it over ``path`` only if it succeeds."""
    out = PendingFile(path)
    try:
        write(out.handle)
        out.handle.flush()
        out.commit()
    except BaseException:
        out.discard()
        raise


def path_issues(path, param: str = "path", extensions: tuple = ()) -> list:
    """Problems writing a file at ``path``, found before anything is opened (as node Issues)."""
    where = f"params.{param}"
    if not isinstance(path, str) or not path.strip():
        return [Issue(where, "needs a file name", code="path.empty")]
    if "\x00" in path:
        return [Issue(where, f"file name {path!r} contains a NUL character", code="path.invalid")]
    full = os.path.abspath(path)
    folder = os.path.dirname(full)
    longest = max(len(part.encode()) for part in full.split(os.sep)) if full != os.sep else 0
    if longest > _NAME_MAX - _TEMP_EXTRA or len(full.encode()) > 4000:
        return [Issue(where, f"file name too long ({longest} bytes in one part; at most "
                      f"{_NAME_MAX - _TEMP_EXTRA})", code="path.too_long")]
    ext = os.path.splitext(path)[1].lower()
    if os.path.isdir(full):
        return [Issue(where, f"{path!r} is a folder; give a file name inside it", code="path.is_folder")]
    if extensions and ext not in extensions:
        return [Issue(where, f"{path!r} must end in {' or '.join(extensions)}", code="path.extension")]
    existing = folder
    while not os.path.isdir(existing):                 # missing folders are created at run time
        parent = os.path.dirname(existing)
        if os.path.exists(existing) or parent == existing:
            return [Issue(where, f"{existing!r} is a file, so folder {folder!r} cannot be created",
                          code="path.no_folder")]
        existing = parent
    if not os.access(existing, os.W_OK | os.X_OK):
        return [Issue(where, f"cannot write in folder {existing!r} (permission denied)", code="path.unwritable")]
    if os.path.exists(full) and not os.access(full, os.W_OK):
        return [Issue(where, f"cannot replace {path!r} (permission denied)", code="path.unwritable")]
    return []
