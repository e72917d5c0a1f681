"""Backpressure and failures: a client that stops reading, a client killed mid-stream."""
import asyncio
import json
import socket

import aiohttp
import numpy as np
import pytest

from psigraph.client import Client

from .conftest import TOKEN, raw_ws, run, serve

LONG = "A long answer that goes on and on, so that the stream lasts many seconds. " * 50


async def _wait_stalled(stream, settle=0.3, limit=30.0):
    """Wait until synthesis of ``stream`` stops advancing; its synthesised samples then."""
    loop = asyncio.get_running_loop()
    t_end = loop.time() + limit
    last = -1
    while loop.time() < t_end:
        await asyncio.sleep(settle)
        if stream.synth_samples == last and last > 0:
            return last
        last = stream.synth_samples
    raise AssertionError("synthesis never stalled for a client that does not read")


def test_client_that_stops_reading_stalls_its_stream_at_the_queue_bound():
    async def go():
        async with serve(block=2400, queue_blocks=4) as (server, url), raw_ws(url) as ws:
            await ws.send_json({"type": "say", "text": LONG, "id": "slow"})
            while not server.connections or next(iter(server.connections)).current is None:
                await asyncio.sleep(0.01)
            conn = next(iter(server.connections))
            stream = conn.current
            # stop reading: pause the client's socket so the kernel buffers fill up
            sock = ws._conn.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            ws._conn.transport.pause_reading()
            stalled = await _wait_stalled(stream)
            ahead = stalled - stream.sent_samples
            transport = conn.ws._writer.transport if conn.ws._writer else None
            buffered = transport.get_write_buffer_size() if transport else 0
            ws._conn.transport.resume_reading()
            await ws.send_json({"type": "cancel", "id": "slow"})
            got, end = 0, None
            while end is None:
                m = await ws.receive()
                if m.type == aiohttp.WSMsgType.BINARY and m.data[0] == 1:
                    got += (len(m.data) - 9) // 2
                elif m.type == aiohttp.WSMsgType.TEXT and json.loads(m.data)["type"] == "end":
                    end = json.loads(m.data)
            return stalled, ahead, buffered, got, end
    stalled, ahead, buffered, got, end = run(go())
    assert stalled < 24000 * 60                      # synthesis waited for the reader (of ~5 min of text)
    assert ahead <= (4 + 2) * 2400                   # queue bound + the block being sent + the one waiting
    assert buffered <= 256 * 1024                    # the transport's buffer stays bounded too
    assert got == end["samples"] and end["reason"] == "cancelled"


def test_killing_a_client_mid_stream_leaves_the_others_served():
    async def go():
        async with serve() as (server, url):
            async with Client(url, token=TOKEN) as other:
                session = aiohttp.ClientSession()
                victim = await session.ws_connect(url + "/ws", headers={"Authorization": f"Bearer {TOKEN}"})
                await victim.send_json({"type": "say", "text": LONG, "id": "v"})
                task = asyncio.create_task(other.collect("I keep talking while the other one vanishes."))
                while (await victim.receive()).type != aiohttp.WSMsgType.BINARY:
                    pass
                victim._conn.transport.abort()   # no close handshake: the process died
                await session.close()
                utt = await task
                again = await other.collect("And once more.")
                await asyncio.sleep(0.2)
                return utt, again, len(server.connections), server.stats["active"]
    utt, again, n_conn, active = run(go())
    assert utt.end.reason == "done" and len(utt.audio) == utt.end.samples > 0
    assert again.end.reason == "done" and np.any(again.audio)
    assert n_conn == 1 and active == 0                # the dead client's stream was torn down


@pytest.mark.slow
def test_a_dead_worker_process_is_replaced():
    async def go():
        async with serve(processes=1) as (server, url), Client(url, token=TOKEN) as c:
            before = await c.collect("Before.")
            server.processes._workers[0].process.kill()
            server.processes._workers[0].process.join(10)
            after = await c.collect("Before.")
            return before, after
    before, after = run(go())
    assert after.end.reason == "done" and np.array_equal(before.audio, after.audio)
