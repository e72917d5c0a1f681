"""`listen` over the wire: the client's microphone PCM drives the listening graph; the face and the
listening events come back as `psigraph listen` computes them from the same audio in a file."""
import asyncio
import itertools
import json
import wave

import aiohttp
import numpy as np

from psigraph import wire

from .conftest import offline_say, raw_ws, run, serve

TEXT = "Well, I am not sure. What do you think?"


def test_listen_streams_the_listening_face_and_events(tmp_path):
    pcm = offline_say(TEXT, str(tmp_path))[0]
    wav = tmp_path / "in.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(pcm.tobytes())
    from psigraph.nodes.face.jsonl import read_frames_jsonl
    from psigraph.runtime.cli import main
    assert main(["listen", str(wav), "--events", str(tmp_path / "ev.jsonl"), "--frames", str(tmp_path / "fr.jsonl"),
                 "-q"]) == 0
    ref_frames = read_frames_jsonl(str(tmp_path / "fr.jsonl"))
    ref_events = [json.loads(x) for x in (tmp_path / "ev.jsonl").read_text().splitlines() if x.strip()]

    async def go():
        async with serve() as (_, url), raw_ws(url) as ws:
            await ws.send_json({"type": "listen", "id": "ear"})
            start = json.loads((await ws.receive()).data)
            msgs, want, heard = [], -(-len(pcm) // 400), asyncio.Event()

            async def reader():
                frames = errors = 0
                while True:
                    m = await ws.receive()
                    msgs.append(m.data)
                    if m.type == aiohttp.WSMsgType.TEXT:
                        t = json.loads(m.data)["type"]
                        if t == "end":
                            return
                        errors += t == "error"
                    else:
                        frames += 1
                    if frames >= want and errors:
                        heard.set()

            task = asyncio.create_task(reader())
            cuts = np.cumsum([0] + [331, 480, 1200, 77] * (len(pcm) // 2088 + 1))   # ragged chunks
            for a, b in itertools.pairwise(cuts):
                if a >= len(pcm):
                    break
                await ws.send_bytes(wire.pack_audio(int(a), pcm[a:b].tobytes()))
            await ws.send_bytes(wire.pack_audio(12345, pcm[:10].tobytes()))      # a gap: an error, nothing else
            await asyncio.wait_for(heard.wait(), 60)
            await ws.send_json({"type": "cancel", "id": "ear"})
            await task
            return start, msgs
    start, msgs = run(go())
    assert start["type"] == "start" and start["mode"] == "listen" and start["id"] == "ear"
    end = json.loads(msgs[-1])
    assert end["reason"] == "cancelled" and end["samples"] == len(pcm)
    texts = [json.loads(m) for m in msgs if isinstance(m, str)]
    assert [t["code"] for t in texts if t["type"] == "error"] == ["listen.gap"]
    frames = np.vstack([np.frombuffer(m[9:], "<f2") for m in msgs if isinstance(m, bytes)])
    assert len(frames) == end["frames"] == -(-len(pcm) // 400)
    names = start["blendshapes"]
    n = min(len(frames), len(ref_frames))
    keys = list(ref_frames[0]["blendshapes"])
    ref = np.array([[r["blendshapes"][k] for k in keys] for r in ref_frames[:n]])
    ours = frames[:n][:, [names.index(k) for k in keys]].astype(float)
    assert np.all(np.abs(ours - ref) <= 5e-5 + np.maximum(np.abs(ref), 1e-3) * 2 ** -10)
    kinds = [t["kind"] for t in texts if t["type"] == "event" and t["kind"] != "viseme"]
    ref_kinds = [e["kind"] for e in ref_events if e["t"] < len(pcm)]
    assert "syllable_onset" in kinds and kinds == ref_kinds
