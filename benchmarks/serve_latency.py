"""Latency of `psigraph serve`: time from sending `say` to the first audio chunk at a local client.

Starts `psigraph serve --port 0` as its own process, sends N `say` messages (different texts) one after
another on one connection and times the first binary audio message of each (then cancels the rest).
Peer, measured in the same run: the same first block computed in this process without a server
(psigraph.server.speak.Synth: graph, Session, first step) — the ratio is what the server adds.

    .venv/bin/python benchmarks/serve_latency.py [N]
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import numpy as np

TOKEN = "bench-" + "k" * 32
TEXTS = ["Hello there.", "How can I help you today?", "The build finished without errors.",
         "Three tests failed; shall I show them?", "Good morning!", "I found the file you asked for."]


def start_server(*extra) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen([sys.executable, "-m", "psigraph.runtime.cli", "serve", "--port", "0", "-q", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PSIGRAPH_TOKEN": TOKEN})
    line = p.stdout.readline()
    if "listening on" not in line:
        raise SystemExit("server did not start: " + line + p.stderr.read())
    return p, line.split("listening on ")[1].split()[0].rstrip("/")


async def first_audio_latencies(url: str, n: int) -> list[float]:
    import aiohttp
    out = []
    async with aiohttp.ClientSession() as http, http.ws_connect(
            url + "/ws", headers={"Authorization": f"Bearer {TOKEN}"}, max_msg_size=0) as ws:
        for i in range(n):
            text = f"{TEXTS[i % len(TEXTS)]} Request {i}."
            t0 = time.perf_counter()
            await ws.send_str(json.dumps({"type": "say", "text": text, "id": i}))
            first = None
            while True:
                m = await ws.receive()
                if m.type == aiohttp.WSMsgType.BINARY and m.data[0] == 1 and first is None:
                    first = time.perf_counter() - t0
                    await ws.send_str(json.dumps({"type": "cancel", "id": i}))
                elif m.type == aiohttp.WSMsgType.TEXT and json.loads(m.data)["type"] in ("end", "error"):
                    break
            out.append(first)
            await asyncio.sleep(0.05)
    return out


def in_process_first_block(n: int) -> list[float]:
    from psigraph.server import speak
    speak.warm_up()
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        syn = speak.Synth(speak.Request(text=f"{TEXTS[i % len(TEXTS)]} Request {i}."))
        while not any(isinstance(m, bytes) and m[0] == 1 for m in syn.step(i)):
            pass
        out.append(time.perf_counter() - t0)
        syn.abort()
    return out


def summary(xs) -> str:
    a = np.asarray(xs) * 1e3
    return f"median {np.median(a):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms  max {a.max():6.1f} ms"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    p, url = start_server()
    try:
        served = asyncio.run(first_audio_latencies(url, n))
    finally:
        p.terminate()
        p.wait(30)
    local = in_process_first_block(n)
    with open("/proc/loadavg") as f:
        print(f"load {f.read().split()[:3]}")
    print(f"served, first audio chunk at the client ({n} says): {summary(served)}")
    print(f"peer, first block in-process (no server):         {summary(local)}")
    print(f"ratio served/in-process (median): {np.median(served) / np.median(local):.2f}")
    print(f"target: median <= 50 ms -> {'met' if np.median(served) <= 0.050 else 'NOT met'}")


if __name__ == "__main__":
    main()
