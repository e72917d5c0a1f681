"""Python client of `psigraph serve` (docs/SERVER.md), for host apps and tests.

::

    async with Client("http://127.0.0.1:8765", token=TOKEN) as client:
        async for item in client.say("Hello there."):
            ...   # wire.Start, then wire.Event / wire.Frame / wire.Audio in sending order, then wire.End
        utt = await client.collect("Bye now.")        # the whole stream as a wire.Utterance

A connection speaks one stream at a time (the server queues further `say`s); ``say`` yields the items
of its own stream. A server ``error`` about a stream raises :class:`StreamError`. aiohttp is imported
only when a client connects (``pip install 'psigraph[server]'``).
"""
from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator

from psigraph import wire
from psigraph.errors import PsigraphError

__all__ = ["Client", "StreamError", "read_token"]


class StreamError(PsigraphError):
    """The server answered a `say` (or the connection) with an error."""

    code = "server.error"


def read_token(path: str | None = None) -> str:
    """The server token: $PSIGRAPH_TOKEN, else the token file (default: where `psigraph serve` writes it)."""
    tok = os.environ.get(wire.TOKEN_ENV)
    if tok and path is None:
        return tok
    if path is None:
        path = wire.default_token_file()
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError as e:
        raise PsigraphError(f"cannot read the server token {path!r}: {e.strerror or e}",
                            hint="is `psigraph serve` running? give token= or $PSIGRAPH_TOKEN") from None


class Client:
    """A WebSocket connection to `psigraph serve` (use as ``async with``)."""

    def __init__(self, url: str = "http://127.0.0.1:8765", token: str | None = None, *, origin: str | None = None,
                 record: list | None = None):
        self.url = url.rstrip("/")
        self.token = token if token is not None else read_token()
        self.origin = origin
        self.record = record                 # if a list: every message received is appended (raw)
        self._session = self._ws = None
        self._queues: dict = {}              # stream id → asyncio.Queue of items
        self._current = None                 # id of the stream whose binary chunks are arriving
        self._reader: asyncio.Task | None = None
        self._ids = itertools.count(1)
        self.errors: list = []               # errors that name no stream

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        import aiohttp
        self._session = aiohttp.ClientSession()
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.origin:
            headers["Origin"] = self.origin
        try:
            self._ws = await self._session.ws_connect(self.url + "/ws", headers=headers, max_msg_size=0)
        except aiohttp.WSServerHandshakeError as e:
            await self._session.close()
            raise StreamError(f"the server refused the connection (HTTP {e.status})",
                              hint="check the token and the origin") from None
        except aiohttp.ClientError as e:
            await self._session.close()
            raise StreamError(f"cannot connect to {self.url}: {e}", hint="is `psigraph serve` running?") from None
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            try:
                await self._ws.send_str(wire.message("bye"))
            except (ConnectionError, RuntimeError):
                pass
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def send(self, obj: dict | str | bytes) -> None:
        """Send a raw message (a dict is sent as JSON)."""
        if isinstance(obj, dict):
            import json
            obj = json.dumps(obj)
        if isinstance(obj, str):
            await self._ws.send_str(obj)
        else:
            await self._ws.send_bytes(obj)

    async def cancel(self, sid=None) -> None:
        """Barge-in: stop stream ``sid`` (None: the current one and every queued one)."""
        await self.send({"type": "cancel"} if sid is None else {"type": "cancel", "id": sid})

    async def say(self, text: str, *, id=None, emotion=None, persona=None, like=None) -> AsyncIterator:
        """Ask for a stream and yield its items until its ``End`` (inclusive)."""
        sid = id if id is not None else f"c{next(self._ids)}"
        q: asyncio.Queue = asyncio.Queue()
        self._queues[sid] = q
        msg = {"type": "say", "text": text, "id": sid}
        for k, v in (("emotion", emotion), ("persona", persona), ("like", like)):
            if v is not None:
                msg[k] = v
        try:
            await self.send(msg)
            while True:
                item = await q.get()
                if isinstance(item, wire.Error):
                    raise StreamError(item.message, code=item.code or StreamError.code)
                yield item
                if isinstance(item, wire.End):
                    return
        finally:
            self._queues.pop(sid, None)

    async def collect(self, text: str, **kw) -> wire.Utterance:
        """The whole stream of one `say`, put together."""
        return wire.assemble([item async for item in self.say(text, **kw)])

    async def _read(self) -> None:
        import aiohttp
        try:
            async for msg in self._ws:
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
                if self.record is not None:
                    self.record.append(msg.data)
                self._route(wire.parse_server(msg.data))
        finally:
            lost = wire.Error("the connection closed", code="server.closed")
            for q in self._queues.values():
                q.put_nowait(lost)

    def _route(self, item) -> None:
        if isinstance(item, (wire.Audio, wire.Frame)):
            sid = self._current
        else:
            sid = item.id
            if isinstance(item, wire.Start):
                self._current = sid
            elif isinstance(item, wire.End) and sid == self._current:
                self._current = None
        q = self._queues.get(sid)
        if q is not None:
            q.put_nowait(item)
        elif isinstance(item, wire.Error):
            self.errors.append(item)
