"""The wire contract of `psigraph serve` (docs/SERVER.md), end to end over a real socket."""
import asyncio
import json
import struct

import aiohttp
import numpy as np
import pytest

from psigraph import wire
from psigraph.client import Client, StreamError

from .conftest import TOKEN, next_text, offline_say, raw_ws, run, serve

TEXT = "Hello there! The server speaks, and the face moves with it."


def test_health_needs_no_token():
    async def go():
        async with serve() as (_, url), aiohttp.ClientSession() as http, http.get(url + "/health") as r:
            return r.status, await r.json()
    status, body = run(go())
    assert status == 200 and body["status"] == "ok" and body["protocol"] == wire.PROTOCOL


def test_say_stream_matches_offline_say(tmp_path):
    """Audio is exactly the PCM `psigraph say` writes; frames are the same face (float16 of the rows
    say's graph computes, and say's --frames within its 4 decimals); every chunk stamped contiguously."""
    async def go():
        async with serve() as (_, url), raw_ws(url) as ws:
            await ws.send_json({"type": "say", "text": TEXT, "id": "a1"})
            msgs = []
            while True:
                m = await asyncio.wait_for(ws.receive(), 30)
                msgs.append(m.data)
                if m.type == aiohttp.WSMsgType.TEXT and json.loads(m.data)["type"] == "end":
                    return msgs
    msgs = run(go())
    start = json.loads(msgs[0])
    assert start["type"] == "start" and start["id"] == "a1"
    assert (start["sample_rate"], start["master_rate"], start["frame_rate"]) == (24000, 24000, 60.0)
    names = start["blendshapes"]
    assert names[0] == "browInnerUp" and "jawOpen" in names and len(names) == 58
    # binary layout: 1 byte kind, 8 bytes little-endian master index, payload
    audio_msgs = [m for m in msgs if isinstance(m, bytes) and m[0] == 1]
    frame_msgs = [m for m in msgs if isinstance(m, bytes) and m[0] == 2]
    assert all(len(m) == 9 + 2 * len(names) for m in frame_msgs)
    idx = [struct.unpack("<Q", m[1:9])[0] for m in audio_msgs]
    lens = [(len(m) - 9) // 2 for m in audio_msgs]
    assert idx == list(np.cumsum([0] + lens[:-1]))
    assert lens[0] <= 480                                   # the first block is small (latency)
    pcm = np.frombuffer(b"".join(m[9:] for m in audio_msgs), "<i2")
    frames = np.vstack([np.frombuffer(m[9:], "<f2") for m in frame_msgs])
    fidx = np.array([struct.unpack("<Q", m[1:9])[0] for m in frame_msgs])
    assert np.array_equal(fidx, np.arange(len(fidx)) * 400)
    end = json.loads(msgs[-1])
    assert end == {"type": "end", "id": "a1", "samples": len(pcm), "frames": len(frames), "reason": "done"}

    ref_pcm, ref_frames, rows = offline_say(TEXT, str(tmp_path))
    assert len(pcm) == len(ref_pcm) and np.array_equal(pcm, ref_pcm)
    assert np.array_equal(frames, rows.astype(np.float16))            # block-size invariant, bit for bit
    pos = {n: i for i, n in enumerate(names)}
    ref = np.array([[r["blendshapes"][n] for n in r["blendshapes"]] for r in ref_frames])
    ours = frames[:len(ref)][:, [pos[n] for n in ref_frames[0]["blendshapes"]]].astype(np.float64)
    assert len(ref) == len(frames)
    step = np.maximum(np.abs(ref), 1e-3) * 2 ** -10                     # float16 half-ulp (relative)
    assert np.all(np.abs(ours - ref) <= 5e-5 + step)

    # frames are sent with or ahead of the audio they belong to
    sent_audio = 0
    for m in msgs:
        if isinstance(m, bytes) and m[0] == 1:
            sent_audio += (len(m) - 9) // 2
        elif isinstance(m, bytes) and m[0] == 2:
            assert struct.unpack("<Q", m[1:9])[0] >= sent_audio - 400
    events = [json.loads(m) for m in msgs if isinstance(m, str) and json.loads(m)["type"] == "event"]
    assert any(e["kind"] == "viseme" for e in events)
    assert all(e["id"] == "a1" and isinstance(e["index"], int) for e in events)


def test_client_say_and_saved_stream_replays(tmp_path):
    """``async for item in client.say(text)``; the recorded messages replay to the same utterance."""
    async def go():
        async with serve() as (_, url):
            rec = []
            async with Client(url, token=TOKEN, record=rec) as c:
                items = [it async for it in c.say("One, two, three.", id=7)]
            return items, rec
    items, rec = run(go())
    assert isinstance(items[0], wire.Start) and isinstance(items[-1], wire.End) and items[-1].id == 7
    live = wire.assemble(items)
    path = tmp_path / "stream.bin"
    path.write_bytes(wire.dump_stream(rec))
    again = wire.assemble(wire.load_stream(path.read_bytes()))
    assert np.array_equal(live.audio, again.audio) and np.array_equal(live.frames, again.frames)
    assert live.end == again.end and len(live.audio) == live.end.samples > 0


def test_streams_of_one_client_play_in_turn():
    async def go():
        async with serve() as (_, url), raw_ws(url) as ws:
            for i in range(3):
                await ws.send_json({"type": "say", "text": f"Number {i}.", "id": i})
            seen = []
            while len([s for s in seen if s[0] == "end"]) < 3:
                m = await next_text(ws)
                if m["type"] in ("start", "end"):
                    seen.append((m["type"], m["id"]))
            return seen
    assert run(go()) == [("start", 0), ("end", 0), ("start", 1), ("end", 1), ("start", 2), ("end", 2)]


def test_cancel_ends_within_one_block():
    long_text = "This is a long sentence that keeps going for a while. " * 6

    async def go():
        async with serve(block=2400) as (server, url), raw_ws(url) as ws:
            await ws.send_json({"type": "say", "text": long_text, "id": "x"})
            got = 0
            while got < 4800:                                   # some audio is playing
                m = await ws.receive()
                if m.type == aiohttp.WSMsgType.BINARY and m.data[0] == 1:
                    got += (len(m.data) - 9) // 2
            await ws.send_json({"type": "cancel", "id": "x"})
            while True:
                m = await next_text(ws)
                if m["type"] == "end":
                    break
            conn = next(iter(server.connections))
            s = conn.history[-1]
            # the connection stays usable
            await ws.send_json({"type": "say", "text": "Still here.", "id": "y"})
            while (m := await next_text(ws))["type"] != "end":
                pass
            return m_end_of(s), s, m
    (samples, reason), s, after = run(go())
    print(f"cancel: synthesised {s.synth_samples - s.samples_at_cancel} and sent "
          f"{s.sent_samples - s.sent_at_cancel} samples after it (block 2400)")
    assert reason == "cancelled" and after["reason"] == "done"
    assert s.synth_samples - s.samples_at_cancel <= 2400           # synthesis stopped within one block
    assert s.sent_samples - s.sent_at_cancel <= 2400               # at most the block being sent
    assert samples == s.sent_samples < 24000 * 10


def m_end_of(s):
    return s.sent_samples, s.cancelled


def test_malformed_messages_get_errors_and_connection_stays_usable():
    bad = ["not json", "[]", '{"type": 3}', '{"type": "say"}', '{"type": "say", "text": 5}',
           '{"type": "say", "text": "hi", "colour": "red"}', '{"type": "say", "text": "   "}',
           '{"type": "say", "text": "hi", "persona": "../../etc/passwd"}',
           '{"type": "say", "text": "hi", "persona": "/tmp/evil.yaml"}',
           '{"type": "say", "text": "hi", "like": [1]}', '{"type": "cancel", "id": "nope"}',
           '{"type": "say", "text": "' + "a" * (wire.MAX_TEXT_CHARS + 1) + '"}',
           "x" * (wire.MAX_MESSAGE_BYTES + 10), b"\x01\x02garbage", '{"type": "listen", "id": [1]}']

    async def go():
        async with serve() as (server, url), raw_ws(url) as ws:
            replies = []
            for b in bad:
                await (ws.send_bytes(b) if isinstance(b, bytes) else ws.send_str(b))
                replies.append(await next_text(ws))
            await ws.send_json({"type": "say", "text": "Fine.", "id": 1})
            ok = await next_text(ws)
            return replies, ok, server.stats["sessions"]
    replies, ok, sessions = run(go())
    for b, r in zip(bad, replies):
        assert r["type"] == "error" and isinstance(r["message"], str) and "\n" not in r["message"], b
        assert r["message"] and r["code"]
    assert "persona" in replies[7]["message"] and "persona" in replies[8]["message"]
    assert ok["type"] == "start" and sessions == 1


def test_client_raises_on_error():
    async def go():
        async with serve() as (_, url), Client(url, token=TOKEN) as c:
            with pytest.raises(StreamError, match="persona"):
                async for _ in c.say("hi", persona="nobody"):
                    pass
            return len((await c.collect("Yes.")).audio)
    assert run(go()) > 0


@pytest.mark.slow
def test_worker_process_streams_match_in_process_streams():
    """With --processes the same bytes come out (the Session runs in a worker process)."""
    async def go(processes):
        async with serve(processes=processes) as (server, url), Client(url, token=TOKEN) as c:
            utt = await c.collect("A worker process says this.")
            return utt, server.stats["sessions"]
    remote, n = run(go(1))
    local, _ = run(go(0))
    assert n == 1 and remote.end.reason == "done" and len(remote.audio) > 0
    assert np.array_equal(remote.audio, local.audio) and np.array_equal(remote.frames, local.frames)


def test_db_records_every_stream_and_like_uses_it(tmp_path):
    """--db: each say is recorded; 'like' speaks in the tone of a stored utterance; no path in a message."""
    db = str(tmp_path / "mem.db")

    async def go():
        async with serve(db=db) as (_, url), Client(url, token=TOKEN) as c:
            first = await c.collect("I am really happy today!", emotion="happy")
            liked = await c.collect("Tell me more.", like=[1])
            with pytest.raises(StreamError, match="like"):
                await c.collect("No.", like=[1], emotion="sad")
            return first, liked
    first, liked = run(go())
    assert first.end.reason == liked.end.reason == "done" and len(liked.audio) > 0
    from psigraph.memory.store import Store
    with Store(db, create=False) as store:
        assert [u.id for u in store.utterances()] == [1, 2]
