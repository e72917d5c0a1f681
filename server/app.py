"""The aiohttp application of `psigraph serve`: /health, /ws, the viewer page and its mesh.

``Server(config)`` holds what lives as long as the process (token, worker threads, connections);
``server.app()`` is the aiohttp Application (tests drive it with aiohttp's test client);
``server.shutdown()`` ends every stream with a final ``end`` and closes the sockets.
"""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiohttp import WSCloseCode, WSMsgType, web  # noqa: F401  (psigraph[server])

from . import security
from .connection import Connection

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
WS_HARD_LIMIT = 4 * 1024 * 1024       # larger frames close the socket (1009); smaller oversize → error


@dataclass
class Config:
    """Everything a server start decides (the command line fills it)."""

    token: str
    host: str = "127.0.0.1"
    port: int = 8765
    allow_origins: tuple = ()
    db: str | None = None
    key_file: str | None = None
    block: int = 2400                 # steady block after the small first ones (master samples)
    queue_blocks: int = 4             # blocks synthesised ahead of sending, per stream
    max_streams: int = 4              # playing + queued `say` per client
    max_clients: int = 16
    send_buffer: int = 256 * 1024     # kernel send buffer per client (bytes): backpressure starts here
    workers: int = 4                  # threads that advance sessions (or wait for worker processes)
    processes: int = 0                # synthesis processes (0: in the server process, on its threads)
    head: str | None = None
    extra: dict = field(default_factory=dict)


class Server:
    def __init__(self, config: Config):
        self.config = config
        # with worker processes the threads only wait on pipes: one per possible client keeps every process fed
        threads = max(config.workers, config.max_clients + 2) if config.processes else config.workers
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="psigraph-serve")
        self.connections: set[Connection] = set()
        self.stats = {"sessions": 0, "active": 0, "messages": 0, "errors": 0, "rejected": 0}
        self.loopback = security.is_loopback(config.host)
        self._origins = security.own_origins(config.port) | {security.normal_origin(o) for o in config.allow_origins}
        self._mesh: bytes | None = None
        self.stopping = False
        self.processes = None
        if config.processes:
            from .workers import ProcessWorkers
            self.processes = ProcessWorkers(config.processes)

    async def start(self, warm: bool = True) -> None:
        """Start the worker processes (warmed up), or warm up this process's kernels."""
        loop = asyncio.get_running_loop()
        if self.processes is not None:
            await loop.run_in_executor(self.pool, self.processes.start)
        elif warm:
            from . import speak
            await loop.run_in_executor(self.pool, speak.warm_up)

    def open_synth(self, request):
        """A running `say` for ``request`` (blocking: call it from the thread pool)."""
        if self.processes is not None:
            return self.processes.open(request, self.config.block)
        from . import speak
        return speak.Synth(request, self.config.block)

    def set_port(self, port: int) -> None:
        """The bound port (after binding port 0): the viewer's own origins follow it."""
        self.config.port = port
        self._origins |= security.own_origins(port)

    # ---------------------------------------------------------------- the application
    def app(self):
        app = web.Application(middlewares=[self._host_guard], client_max_size=64 * 1024)
        app.router.add_get("/health", self.health)
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/mesh.bin", self.mesh)
        app.router.add_get("/", self.index)
        app.router.add_static("/static/", STATIC, follow_symlinks=False, show_index=False)
        app.on_shutdown.append(lambda _app: self.shutdown())
        app.on_cleanup.append(lambda _app: self._close_pool())
        return app

    @web.middleware
    async def _host_guard(self, request, handler):
        if not security.host_ok(request.headers.get("Host"), self.loopback):
            self.stats["rejected"] += 1
            return web.json_response({"error": "unexpected Host header"}, status=421)
        resp = await handler(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    async def health(self, request):
        from psigraph import wire
        return web.json_response({"status": "stopping" if self.stopping else "ok", "service": "psigraph",
                                  "protocol": wire.PROTOCOL, "clients": len(self.connections)})

    async def index(self, request):
        return web.FileResponse(os.path.join(STATIC, "index.html"),
                                headers={"Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:"})

    async def mesh(self, request):
        if self._mesh is None:
            from .mesh import mesh_bytes
            loop = asyncio.get_running_loop()
            self._mesh = await loop.run_in_executor(self.pool, mesh_bytes, self.config.head)
        resp = web.Response(body=self._mesh, content_type="application/octet-stream")
        resp.enable_compression()
        return resp

    async def websocket(self, request):
        """Token and Origin are checked before the upgrade: a rejected client gets HTTP 401/403."""
        token = security.request_token(request.headers, request.query)
        if not security.token_ok(token, self.config.token):
            self.stats["rejected"] += 1
            return web.json_response({"error": "missing or wrong token"}, status=401,
                                     headers={"WWW-Authenticate": "Bearer"})
        if not security.origin_ok(request.headers.get("Origin"), self._origins):
            self.stats["rejected"] += 1
            return web.json_response({"error": "origin not allowed; start the server with --allow-origin "
                                      "ORIGIN for a host app"}, status=403)
        if self.stopping or len(self.connections) >= self.config.max_clients:
            return web.json_response({"error": "server busy"}, status=503)
        ws = web.WebSocketResponse(max_msg_size=WS_HARD_LIMIT, heartbeat=30.0)
        _limit_send_buffer(request, self.config.send_buffer)
        await ws.prepare(request)
        conn = Connection(ws, self)
        self.connections.add(conn)
        try:
            await conn.serve()
        finally:
            self.connections.discard(conn)
            if not ws.closed:
                await ws.close()
        return ws

    async def shutdown(self) -> None:
        """End every stream with a final ``end`` (reason "shutdown"), then close the sockets (1001)."""
        self.stopping = True
        conns = list(self.connections)
        await asyncio.gather(*(c.stop("shutdown") for c in conns), return_exceptions=True)
        await asyncio.gather(*(c.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
                               for c in conns), return_exceptions=True)

    async def _close_pool(self) -> None:
        loop = asyncio.get_running_loop()
        if self.processes is not None:
            await loop.run_in_executor(None, self.processes.close)
        await loop.run_in_executor(None, self.pool.shutdown, True)


def _limit_send_buffer(request, size: int) -> None:
    """Cap the socket's kernel send buffer, so a client that stops reading holds little in the kernel."""
    import socket
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None and size:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, int(size))
        except OSError:
            pass


class running:
    """``async with running(config) as (server, url)``: a server on ``config.host`` and a free port,
    in the current event loop (tests, benchmarks, hosts that embed it); warmed up first if ``warm``."""

    def __init__(self, config: Config, *, warm: bool = True):
        self.config, self.warm = config, warm

    async def __aenter__(self):
        self.server = Server(self.config)
        await self.server.start(warm=self.warm)
        self.runner = web.AppRunner(self.server.app(), handle_signals=False, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.config.host, self.config.port)
        try:
            await site.start()
        except OSError:
            await self.runner.cleanup()
            raise
        port = site._server.sockets[0].getsockname()[1]
        self.server.set_port(port)
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return self.server, f"http://{host}:{port}"

    async def __aexit__(self, *exc):
        await self.runner.cleanup()
