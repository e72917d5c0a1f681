"""Helpers for the server tests: a server in the test's event loop, offline `say` references."""
import asyncio
import contextlib
import functools

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
