"""Helpers for the server tests: a server in the test's event loop, offline `say` references."""
import asyncio
import contextlib
import functools
import threading

import pytest

pytest.importorskip("aiohttp")

TOKEN = "test-token-" + "x" * 24


def run(coro):
    return asyncio.run(coro)


@contextlib.asynccontextmanager
async def serve(**overrides):
    """(server, base url) of a server on 127.0.0.1 and a free port."""
    from psigraph.server.app import Config, running
    cfg = Config(token=TOKEN, port=0, **overrides)
    async with running(cfg, warm=False) as (server, url):
        yield server, url


@contextlib.asynccontextmanager
async def raw_ws(url, token=TOKEN, **headers):
    """A plain aiohttp WebSocket to /ws (no client logic), authenticated with ``token``."""
    import aiohttp
    if token is not None:
        headers.setdefault("Authorization", f"Bearer {token}")
    async with aiohttp.ClientSession() as http, http.ws_connect(url + "/ws", headers=headers,
                                                                  max_msg_size=0) as ws:
        yield ws


async def next_text(ws, timeout=30.0) -> dict:
    """The next text message (binary ones skipped) as a dict."""
    import json

    import aiohttp
    while True:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return json.loads(msg.data)
        if msg.type != aiohttp.WSMsgType.BINARY:
            raise AssertionError(f"connection ended: {msg.type}")


@functools.lru_cache(maxsize=8)
def offline_say(text: str, tmpdir: str, emotion: str = "auto", persona: str = "default"):
    """What `psigraph say TEXT -o X.wav --frames X.jsonl` writes (PCM, frame records) and the face rows
    of its graph run in say's blocks (psigraph.server.speak.offline_reference)."""
    from psigraph.server.speak import offline_reference
    return offline_reference(text, tmpdir, emotion=emotion, persona=persona)


class LoopThread:
    """A server and one raw connection in a background event loop (for synchronous drivers: hypothesis,
    Selenium). ``call(coro)`` runs a coroutine there; ``server``, ``url`` and ``ws`` are set."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.ready = self.call(self._open())

    def call(self, coro, timeout=60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _open(self):
        self._srv = serve()
        self.server, self.url = await self._srv.__aenter__()
        self._ws = raw_ws(self.url)
        self.ws = await self._ws.__aenter__()

    async def exchange(self, msg):
        await (self.ws.send_bytes(msg) if isinstance(msg, bytes) else self.ws.send_str(msg))
        return await next_text(self.ws)

    async def _close(self):
        await self._ws.__aexit__(None, None, None)
        await self._srv.__aexit__(None, None, None)

    def close(self):
        self.call(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
