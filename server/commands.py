"""`psigraph serve`: stream voice and face to host apps and the browser viewer, on localhost.

One long-running process. It binds loopback unless --allow-remote; writes a fresh random token to a
0600 file (or takes $PSIGRAPH_TOKEN); warms every kernel before it accepts a client; and on SIGTERM or
SIGINT ends every stream with a final ``end`` message, commits what the --db store holds, and exits 0.
"""
from __future__ import annotations

import sys

from psigraph.errors import PsigraphError


def register(sub) -> None:
    p = sub.add_parser("serve", help="stream voice and face over a local WebSocket (host apps, browser viewer)",
                       description="Serve `say` over a local WebSocket: a host app (or the viewer page at "
                       "http://127.0.0.1:PORT/) sends text and receives audio, blendshapes and events in sync. "
                       "Protocol: docs/SERVER.md.")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --host that is not loopback (prints a warning; anyone with the token can connect)")
    p.add_argument("--token-file", metavar="F", help="where to write this start's token, mode 0600 "
                   "(default $XDG_RUNTIME_DIR/psigraph/serve.token or ~/.cache/psigraph/serve.token); "
                   "$PSIGRAPH_TOKEN gives the token instead")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="a web origin allowed to connect, e.g. http://localhost:3000 (repeatable; the "
                   "server's own page is always allowed, clients without an Origin header too)")
    p.add_argument("--db", metavar="STORE", help="record every utterance into this ψ-memory store "
                   "(and allow 'like' in say messages)")
    p.add_argument("--key-file", metavar="F", help="key of an encrypted --db store (default: $PSIGRAPH_DB_KEY)")
    p.add_argument("--block", type=int, default=2400,
                   help="master samples per streamed block after the first small ones (default 2400 = 100 ms; "
                   "cancel takes effect within one block)")
    p.add_argument("--max-clients", type=int, default=16, help="concurrent WebSocket clients (default 16)")
    p.add_argument("--processes", type=int, default=2, help="synthesis processes (default 2, one per core; "
                   "0 = synthesise in the server process on --workers threads)")
    p.add_argument("--workers", type=int, default=4, help="threads that synthesise or wait for the processes "
                   "(default 4)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.set_defaults(run=run)


def config_from(args, token: str):
    """The server :class:`~psigraph.server.app.Config` of parsed arguments (checked)."""
    from .app import Config
    if not 0 <= args.port <= 65535:
        raise PsigraphError(f"--port must be 0..65535 (got {args.port})")
    if not 480 <= args.block <= 48000:
        raise PsigraphError(f"--block must be 480..48000 master samples (got {args.block})")
    if not 1 <= args.max_clients <= 1024:
        raise PsigraphError(f"--max-clients must be 1..1024 (got {args.max_clients})")
    if not 1 <= args.workers <= 64:
        raise PsigraphError(f"--workers must be 1..64 (got {args.workers})")
    if not 0 <= args.processes <= 64:
        raise PsigraphError(f"--processes must be 0..64 (got {args.processes})")
    if args.key_file and not args.db:
        raise PsigraphError("--key-file needs --db STORE")
    for o in args.allow_origin:
        if "://" not in o or o.strip() in ("*", "null"):
            raise PsigraphError(f"--allow-origin {o!r} is not an origin", hint="give scheme://host[:port], "
                                "e.g. http://localhost:3000")
    return Config(token=token, host=args.host, port=args.port, allow_origins=tuple(args.allow_origin),
                  db=args.db, key_file=args.key_file, block=args.block, max_clients=args.max_clients,
                  workers=args.workers, processes=args.processes)


def _check_store(args) -> None:
    """Open (or create) the --db store once now, so a bad store is one line at start, not per say."""
    if not args.db:
        return
    from psigraph.memory.keys import open_store
    store = open_store(args.db, args.key_file, create=True, notice=not args.quiet)
    store.close()


def run(args) -> int:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise PsigraphError("psigraph serve needs aiohttp, which is not installed",
                            hint="pip install 'psigraph[server]'") from None
    import asyncio

    from . import security
    warning = security.check_bind(args.host, args.allow_remote)
    token = security.token_from_env()
    token_file = None
    if token is None:
        token = security.new_token()
        token_file = args.token_file or security.default_token_file()
    elif args.token_file:
        token_file = args.token_file
    config = config_from(args, token)
    _check_store(args)
    if warning:
        print(warning, file=sys.stderr)
    if token_file:
        security.write_token_file(token_file, token)
    try:
        return asyncio.run(_serve(config, token_file, quiet=args.quiet))
    finally:
        if token_file:
            security.remove_token_file(token_file, token)


async def _serve(config, token_file: str | None, *, quiet: bool) -> int:
    import asyncio
    import signal

    from .app import running
    ctx = running(config)
    try:
        _, url = await ctx.__aenter__()
    except OSError as e:
        raise PsigraphError(f"cannot listen on {config.host}:{config.port}: {e.strerror or e}", where="--port",
                            hint="choose another --port (0 = any free port)") from None
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        where = f"token in {token_file}" if token_file else "token from $PSIGRAPH_TOKEN"
        print(f"psigraph serve: listening on {url}/ (WebSocket /ws, {where})", flush=True)
        await stop.wait()
        if not quiet:
            print("psigraph serve: stopping (ending streams)", file=sys.stderr, flush=True)
    finally:
        await ctx.__aexit__(None, None, None)
    return 0
