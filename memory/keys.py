"""Keys and connections: SQLCipher when a key is given, plain SQLite (with a notice) otherwise.

The key comes from ``--key-file PATH`` (the file's bytes, one trailing newline removed) or the
environment variable ``PSIGRAPH_DB_KEY`` (its UTF-8 bytes; an empty value counts as unset); the
file wins. It is handed to SQLCipher as a passphrase (SQLCipher derives the page key with
PBKDF2); bytes that are not UTF-8 text are passed as their hex digits.

Every refusal is one :class:`~psigraph.errors.PsigraphError` line and leaves the file exactly as
it was: a plain store opened with a key, an encrypted file opened without one, a wrong key,
a key without the ``[secure]`` extra, a file that is not a psigraph store. The file header is read
before any connection is made, and a store is only ever modified after its schema has been
recognised.
"""
from __future__ import annotations

import os
import sys

from psigraph.errors import PsigraphError

ENV_VAR = "PSIGRAPH_DB_KEY"
SQLITE_MAGIC = b"SQLite format 3\x00"
SECURE_HINT = "pip install 'psigraph[secure]' (SQLCipher)"


class StoreOpenError(PsigraphError):
    """A store cannot be opened (missing, wrong key, not a store, SQLCipher missing)."""

    code = "memory.open"


def add_key_argument(parser) -> None:
    """Add ``--key-file PATH`` to an argparse (sub)parser."""
    parser.add_argument("--key-file", metavar="PATH", default=None,
                        help=f"file holding the store's key (else ${ENV_VAR}; neither: not encrypted)")


def key_bytes(key) -> bytes | None:
    """Normalise a key given to :class:`Store` (bytes, str or None)."""
    if key is None:
        return None
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise StoreOpenError(f"a key must be bytes or text, not {type(key).__name__}", where="memory.Store")
    key = bytes(key)
    if not key:
        raise StoreOpenError("the key is empty", where="memory.Store", hint="give a non-empty key or None")
    return key


def resolve_key(key_file: str | None = None, environ=None) -> bytes | None:
    """The key from ``--key-file`` or ``$PSIGRAPH_DB_KEY``; None when neither is given."""
    environ = os.environ if environ is None else environ
    if key_file is not None:
        try:
            with open(key_file, "rb") as f:
                data = f.read(1 << 16)
        except OSError as e:
            raise StoreOpenError(f"cannot read the key file {key_file!r}: {e.strerror or e}",
                                 where="--key-file") from None
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        if not data:
            raise StoreOpenError(f"the key file {key_file!r} is empty", where="--key-file",
                                 hint="put the key (any text or bytes) in it")
        return data
    value = environ.get(ENV_VAR, "")
    return value.encode("utf-8") if value else None


def plain_notice(path: str) -> str:
    return f"notice: {path} is not encrypted; give --key-file or {ENV_VAR}"


def open_store(path, key_file: str | None = None, *, create: bool = False, notice: bool = True):
    """Open a :class:`~psigraph.memory.store.Store` the way the commands do: key from
    ``--key-file`` / ``$PSIGRAPH_DB_KEY``, a one-line notice on stderr when there is none."""
    from .store import Store
    key = resolve_key(key_file)
    store = Store(path, key, create=create)
    if key is None and notice:
        print(plain_notice(os.fspath(path)), file=sys.stderr)
    return store


def _passphrase(key: bytes) -> str:
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        text = key.hex()
    return text.replace("'", "''")


def _sqlcipher():
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        return None
    return dbapi2


def file_state(path: str) -> str:
    """'missing', 'empty', 'plain' (an SQLite header) or 'opaque' (encrypted, or not SQLite)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        raise StoreOpenError("is a directory, not a store", where=path) from None
    except OSError as e:
        raise StoreOpenError(f"cannot read: {e.strerror or e}", where=path) from None
    if not head:
        return "empty"
    return "plain" if head == SQLITE_MAGIC else "opaque"


def connect(path: str, key: bytes | None, *, create: bool):
    """(connection, created) for ``path``; raises :class:`StoreOpenError` without touching the file."""
    state = file_state(path)
    if state == "missing" and not create:
        raise StoreOpenError("no such store", where=path, hint="check the path (say --db STORE creates one)")
    if state == "plain" and key is not None:
        raise StoreOpenError("this store is not encrypted, but a key was given", where=path,
                             hint=f"open it without --key-file and with {ENV_VAR} unset")
    if state == "opaque" and key is None:
        raise StoreOpenError("this store is encrypted (or is not an SQLite file)", where=path,
                             hint=f"give its key with --key-file or {ENV_VAR}")
    if key is not None:
        module = _sqlcipher()
        if module is None:
            raise StoreOpenError("a key was given but SQLCipher is not installed", where=path, hint=SECURE_HINT)
    else:
        import sqlite3 as module
    created = False
    if state == "missing":
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise StoreOpenError(f"the directory {parent!r} does not exist", where=path,
                                 hint="create it first")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return connect(path, key, create=create)
        except OSError as e:
            raise StoreOpenError(f"cannot create: {e.strerror or e}", where=path) from None
        created = True
    try:
        conn = module.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    except module.Error as e:
        if created:
            remove_files(path)
        raise StoreOpenError(f"cannot open: {e}", where=path) from None
    try:
        if key is not None:
            conn.execute("PRAGMA cipher_log_level = NONE")       # a wrong key is our one line, not its log
            conn.execute(f"PRAGMA key = '{_passphrase(key)}'")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except module.DatabaseError as e:
        conn.close()
        if created:
            remove_files(path)
        if key is not None:
            raise StoreOpenError("cannot open: wrong key (or not a psigraph store)", where=path,
                                 hint=f"check --key-file / {ENV_VAR}") from None
        raise StoreOpenError(f"cannot open: {e}", where=path, hint="is it a psigraph memory store?") from None
    return conn, created


def db_errors() -> tuple:
    """The exception classes of sqlite3 and (when installed) SQLCipher."""
    import sqlite3
    mod = _sqlcipher()
    return (sqlite3.Error,) + ((mod.Error,) if mod is not None else ())


def remove_files(path: str) -> None:
    """Remove a store file and its WAL companions (a store created by a failed open)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
