"""What a listening port needs: the per-start token (0600 file or $PSIGRAPH_TOKEN), loopback binds,
and the Origin / Host checks that keep web pages in the user's browser from driving the server."""
from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
from urllib.parse import urlsplit

from psigraph.errors import PsigraphError
from psigraph.wire import TOKEN_ENV, default_token_file  # noqa: F401  (the host-facing contract)

MIN_TOKEN_CHARS = 16


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_from_env() -> str | None:
    tok = os.environ.get(TOKEN_ENV, "")
    if not tok:
        return None
    if len(tok) < MIN_TOKEN_CHARS or not tok.isprintable() or " " in tok:
        raise PsigraphError(f"${TOKEN_ENV} must be at least {MIN_TOKEN_CHARS} printable characters without spaces",
                            where=TOKEN_ENV, hint="unset it to get a random token per start")
    return tok


def write_token_file(path: str, token: str) -> None:
    """Write ``token`` to ``path`` readable by the owner only (0600), atomically; never through a symlink."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.path.islink(path):
            raise PsigraphError(f"{path!r} is a symbolic link; refusing to write the token through it",
                                where="--token-file", hint="remove it or choose another file")
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as e:
        raise PsigraphError(f"cannot write the token file {path!r}: {e.strerror or e}", where="--token-file",
                            hint="give a writable --token-file") from None


def remove_token_file(path: str, token: str) -> None:
    """Remove the token file at shutdown if it still holds our token."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read().strip() == token:
                os.remove(path)
    except OSError:
        pass


def token_ok(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def request_token(headers, query) -> str | None:
    """The token of a request: ``Authorization: Bearer TOKEN`` or ``?token=TOKEN``."""
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return query.get("token")


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    h = host.strip("[]")
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(h, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def check_bind(host: str, allow_remote: bool) -> str | None:
    """Refuse a non-loopback bind without ``allow_remote``; with it, the warning to print."""
    if is_loopback(host):
        return None
    if not allow_remote:
        raise PsigraphError(f"refusing to listen on {host!r}: it is not a loopback address, so other machines "
                            "could connect", where="--host",
                            hint="use 127.0.0.1, or add --allow-remote if you really mean it")
    return (f"warning: listening on {host!r}, reachable from other machines; anyone with the token can "
            "drive the voice (use a firewall or an SSH tunnel)")


LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


def own_origins(port: int) -> set:
    """The origins of the server's own viewer page."""
    return {f"http://{h}:{port}" for h in LOCAL_NAMES}


def normal_origin(origin: str) -> str:
    """``scheme://host[:port]`` lower-cased, without a trailing slash (as browsers send it)."""
    o = origin.strip().rstrip("/")
    parts = urlsplit(o)
    if not parts.scheme or not parts.netloc:
        return o.lower()
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def origin_ok(origin: str | None, allowed: set) -> bool:
    """No Origin header (not a browser) or an allowed one."""
    if origin is None:
        return True
    return normal_origin(origin) in allowed


def host_ok(host_header: str | None, loopback_bind: bool) -> bool:
    """On a loopback bind, the Host header must name a loopback host (defeats DNS rebinding)."""
    if not loopback_bind:
        return True
    if not host_header:
        return False
    h = host_header.strip().lower()
    name = h.rsplit(":", 1)[0] if not h.endswith("]") else h
    if name.startswith("[") and "]" in name:
        name = name[:name.index("]") + 1]
    return name in LOCAL_NAMES or name.startswith("127.")
