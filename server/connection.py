"""One WebSocket client: its messages, its queue of `say` streams, and their delivery.

A client's streams play in turn (binary chunks carry no stream id): ``start`` … ``end`` of one, then
the next. Each stream's Session is advanced on the server's worker threads; a bounded queue between
synthesis and sending holds at most ``queue_blocks`` blocks, and a client that stops reading stops
synthesis once the socket buffers are full (aiohttp waits for the transport to drain). ``cancel``
drops what is queued and ends the stream within one block.
"""
from __future__ import annotations

import asyncio
import collections
import itertools
from dataclasses import dataclass, field

from psigraph import wire
from psigraph.errors import PsigraphError

from . import listening, speak

_DONE = object()
#: client audio chunks waiting for the listening Session (a client sending faster than that waits)
LISTEN_INBOX = 16


@dataclass
class Stream:
    """A `say` of one client, from its message to its ``end``."""

    id: object
    request: speak.Request | None        # None: a `listen` stream
    cancelled: str = ""          # "" while running; "cancelled" / "shutdown" once stopped
    synth_samples: int = 0       # master samples synthesised so far
    sent_samples: int = 0        # audio samples sent
    sent_frames: int = 0
    samples_at_cancel: int | None = None
    sent_at_cancel: int | None = None    # audio samples sent when the cancel arrived
    started: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    inbox: asyncio.Queue | None = None   # client audio chunks of a `listen` stream

    @property
    def listening(self) -> bool:
        return self.request is None


class Connection:
    """Serve one accepted WebSocket until the client leaves or the server stops."""

    _ids = itertools.count(1)

    def __init__(self, ws, server):
        self.ws, self.server = ws, server
        self.config = server.config
        self.pending: collections.deque[Stream] = collections.deque()
        self.current: Stream | None = None
        self.history: list[Stream] = []           # finished streams (tests read them)
        self._send_lock = asyncio.Lock()
        self._work = asyncio.Event()
        self._closing = False
        self._runner: asyncio.Task | None = None
        self._auto = itertools.count(1)

    # ---------------------------------------------------------------- sending
    async def send(self, msg) -> None:
        async with self._send_lock:
            if self.ws.closed:
                return
            if isinstance(msg, str):
                await self.ws.send_str(msg)
            else:
                await self.ws.send_bytes(msg)

    async def error(self, message: str, *, sid=None, code: str = "error") -> None:
        fields = {"message": message, "code": code}
        if sid is not None:
            fields["id"] = sid
        await self.send(wire.message("error", **fields))

    # ---------------------------------------------------------------- receiving
    async def serve(self) -> None:
        from aiohttp import WSMsgType
        self._runner = asyncio.create_task(self._run_streams())
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT or msg.type == WSMsgType.BINARY:
                    data = msg.data
                else:                      # ERROR / CLOSE
                    break
                if not await self._handle(data):
                    break
        finally:
            await self.stop("cancelled")

    async def _handle(self, data) -> bool:
        """One client message; False when the client said ``bye``."""
        self.server.stats["messages"] += 1
        cur = self.current
        if isinstance(data, (bytes, bytearray)) and cur is not None and cur.listening and not cur.cancelled:
            try:
                chunk = listening.check_chunk(data)
            except PsigraphError as e:
                self.server.stats["errors"] += 1
                await self.error(e.line(), sid=cur.id, code=e.code)
                return True
            await cur.inbox.put(chunk)          # bounded: a client sending too fast waits here
            return True
        try:
            msg = wire.parse_client(data)
        except PsigraphError as e:
            self.server.stats["errors"] += 1
            await self.error(e.line(), sid=_id_of(data), code=e.code)
            return True
        if isinstance(msg, wire.Bye):
            return False
        if isinstance(msg, wire.Listen):
            await self._add(Stream(msg.id, None, inbox=asyncio.Queue(maxsize=LISTEN_INBOX)))
            return True
        if isinstance(msg, wire.Cancel):
            await self._cancel(msg.id)
            return True
        await self._say(msg)
        return True

    async def _say(self, msg: wire.Say) -> None:
        sid = msg.id if msg.id is not None else f"s{next(self._auto)}"
        try:
            req = speak.request_from(msg, db=self.config.db, key_file=self.config.key_file)
        except PsigraphError as e:
            await self.error(e.line(), sid=sid, code=e.code)
            return
        await self._add(Stream(sid, req))

    async def _add(self, s: Stream) -> None:
        """Queue a stream (ids unique among active streams; at most ``max_streams`` per client)."""
        if s.id is None:
            s.id = f"s{next(self._auto)}"
        active = ([self.current] if self.current else []) + list(self.pending)
        if any(a.id == s.id for a in active):
            await self.error(f"a stream with id {s.id!r} is already active", sid=s.id, code="say.duplicate_id")
            return
        if len(active) >= self.config.max_streams:
            await self.error(f"too many streams: at most {self.config.max_streams} per client (playing and "
                             "queued)", sid=s.id, code="say.too_many")
            return
        self.pending.append(s)
        self._work.set()

    async def _cancel(self, sid) -> None:
        targets = [s for s in ([self.current] if self.current else []) + list(self.pending)
                   if sid is None or s.id == sid]
        if not targets:
            if sid is not None:
                await self.error(f"no active stream with id {sid!r}", sid=sid, code="cancel.unknown_id")
            return
        for s in targets:
            self._stop_stream(s, "cancelled")

    def _stop_stream(self, s: Stream, reason: str) -> None:
        if s.cancelled:
            return
        s.cancelled = reason
        s.samples_at_cancel, s.sent_at_cancel = s.synth_samples, s.sent_samples
        s.wake.set()

    async def stop(self, reason: str) -> None:
        """Stop every stream (``end`` with ``reason``), then the runner."""
        if self._closing:
            return
        self._closing = True
        for s in ([self.current] if self.current else []) + list(self.pending):
            self._stop_stream(s, reason)
        self._work.set()
        if self._runner is not None:
            try:
                await self._runner
            except asyncio.CancelledError:
                pass

    # ---------------------------------------------------------------- streaming
    async def _run_streams(self) -> None:
        while True:
            while not self.pending:
                if self._closing:
                    return
                self._work.clear()
                await self._work.wait()
            s = self.current = self.pending.popleft()
            try:
                await self._stream(s)
            except (ConnectionError, RuntimeError):       # the client went away mid-stream
                self._stop_stream(s, "cancelled")
            except Exception as e:  # noqa: BLE001 - this client's other streams and the server go on
                self._stop_stream(s, "cancelled")
                await self._safe_error(f"internal error: {type(e).__name__}: {e}", s.id)
            finally:
                self.current = None
                self.history.append(s)
                del self.history[:-32]

    async def _stream(self, s: Stream) -> None:
        loop = asyncio.get_running_loop()
        pool, stats = self.server.pool, self.server.stats
        if s.cancelled:
            await self._end(s, None)
            return
        if s.listening:
            await self._listen(s)
            return
        try:
            syn = await loop.run_in_executor(pool, self.server.open_synth, s.request)
        except PsigraphError as e:
            await self.error(e.line(), sid=s.id, code=e.code)
            return
        except Exception as e:  # noqa: BLE001 - one line to the client, the server keeps serving
            await self.error(f"internal error: {type(e).__name__}: {e}", sid=s.id, code="internal")
            return
        stats["sessions"] += 1
        stats["active"] += 1
        reason = "done"
        queue: asyncio.Queue = asyncio.Queue(maxsize=self.config.queue_blocks)
        producer = asyncio.create_task(self._produce(s, syn, queue))
        try:
            await self.send(wire.message("start", id=s.id, **syn.start_fields()))
            s.started = True
            while True:
                get = asyncio.ensure_future(queue.get())
                wake = asyncio.ensure_future(s.wake.wait())
                done, _ = await asyncio.wait({get, wake}, return_when=asyncio.FIRST_COMPLETED)
                if get not in done:
                    get.cancel()
                wake.cancel()
                if s.cancelled:
                    if get in done and get.result() is not _DONE and not isinstance(get.result(), BaseException):
                        pass                                   # dropped: cancel ends within one block
                    break
                item = get.result()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                for m in item:
                    await self.send(m)
                    if isinstance(m, bytes):
                        if m[0] == wire.AUDIO:
                            s.sent_samples += (len(m) - wire.HEADER.size) // 2
                        elif m[0] == wire.FRAME:
                            s.sent_frames += 1
        except PsigraphError as e:
            reason = "error"
            await self.error(e.line(), sid=s.id, code=e.code)
        finally:
            if s.cancelled:
                reason = s.cancelled
            while not queue.empty():                           # unblock a producer waiting for room
                queue.get_nowait()
            await asyncio.gather(producer, return_exceptions=True)
            stats["active"] -= 1
            await self._finish(syn, reason == "error")
        await self._end(s, reason)

    async def _produce(self, s: Stream, syn, queue: asyncio.Queue) -> None:
        """Advance the session block by block on a worker thread; block on a full queue."""
        loop = asyncio.get_running_loop()
        try:
            while not syn.done and not s.cancelled:
                msgs = await loop.run_in_executor(self.server.pool, syn.step, s.id)
                s.synth_samples = syn.now
                if s.cancelled:
                    break
                await queue.put(msgs)
            await queue.put(_DONE)
        except Exception as e:  # noqa: BLE001 - handed to the sender
            err = e if isinstance(e, PsigraphError) else PsigraphError(f"internal error: {type(e).__name__}: {e}")
            if not s.cancelled:
                await queue.put(err)

    async def _listen(self, s: Stream) -> None:
        """Feed the client's audio chunks to a listening Session until the stream is cancelled."""
        loop = asyncio.get_running_loop()
        pool, stats = self.server.pool, self.server.stats
        try:
            syn = await loop.run_in_executor(pool, listening.Listening)
        except PsigraphError as e:
            await self.error(e.line(), sid=s.id, code=e.code)
            return
        stats["sessions"] += 1
        stats["active"] += 1
        reason = "cancelled"
        try:
            await self.send(wire.message("start", id=s.id, **syn.start_fields()))
            s.started = True
            while True:
                get = asyncio.ensure_future(s.inbox.get())
                wake = asyncio.ensure_future(s.wake.wait())
                done, _ = await asyncio.wait({get, wake}, return_when=asyncio.FIRST_COMPLETED)
                wake.cancel()
                if get not in done:
                    get.cancel()
                if s.cancelled:
                    break
                chunk = get.result()
                try:
                    msgs = await loop.run_in_executor(pool, syn.feed, chunk.index, chunk.pcm.tobytes(), s.id)
                except PsigraphError as e:
                    await self.error(e.line(), sid=s.id, code=e.code)
                    continue
                s.synth_samples = s.sent_samples = syn.samples
                for m in msgs:
                    await self.send(m)
                    if isinstance(m, bytes):
                        s.sent_frames += 1
        finally:
            reason = s.cancelled or reason
            stats["active"] -= 1
            await self._finish(syn, False)
        await self._end(s, reason)

    async def _finish(self, syn, failed: bool) -> None:
        """Close (publish a --db recording) or, after a failure, abort a stream's session."""
        try:
            await asyncio.get_running_loop().run_in_executor(self.server.pool, syn.abort if failed else syn.close)
        except PsigraphError as e:
            await self._safe_error(e.line(), None, e.code)

    async def _safe_error(self, message: str, sid, code: str = "internal") -> None:
        try:
            await self.error(message, sid=sid, code=code)
        except (ConnectionError, RuntimeError):
            pass

    async def _end(self, s: Stream, reason) -> None:
        await self.send(wire.message("end", id=s.id, samples=s.sent_samples, frames=s.sent_frames,
                                     reason=reason or s.cancelled or "cancelled"))


def _id_of(data):
    """The ``id`` of a message that failed to parse, when it has a usable one (to route the error)."""
    if not isinstance(data, str) or len(data) > wire.MAX_MESSAGE_BYTES:
        return None
    try:
        import json
        obj = json.loads(data)
        return wire._check_id(obj.get("id")) if isinstance(obj, dict) else None
    except (ValueError, RecursionError, PsigraphError):
        return None
