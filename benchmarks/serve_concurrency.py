"""Many clients at once on `psigraph serve`: completeness, exactness, delivery rate and memory.

Starts `psigraph serve --port 0` as its own process. Phase 1: one client; phase 2: C clients (default
8), each saying its own texts one after another for D seconds (default 60). For every stream: complete
(``end`` reason done, sample and frame counts match), audio bit-identical to what `psigraph say` writes
for that text, blendshape frames bit-identical to the float16 of say's graph run offline; delivery rate
= seconds of speech / wall seconds from `say` to `end` (≥ 1 means no client starved). The server's RSS
(with its worker processes) is sampled every 0.1 s: peak per phase, and its drift over phase 2 (first vs last 10 s).
Phase 3: one client that stops reading a long text: the server's RSS over 10 s.

    .venv/bin/python benchmarks/serve_concurrency.py [CLIENTS] [SECONDS]
"""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_latency import TOKEN, start_server

TEXTS = [
    "The build finished in forty seconds, and every test passed.",
    "I moved the helper into its own module, as you asked.",
    "There are three warnings left; two of them are in generated code.",
    "Shall I open the failing test, or would you rather read the log first?",
    "The server answers on port eight thousand, on the loopback address only.",
    "Your meeting starts in ten minutes. The room has changed to the third floor.",
    "I could not find that file. Did you mean the one in the docs folder?",
    "Good evening! Here is a short summary of what changed today.",
    "The branch is up to date with the main line, and nothing needs merging.",
    "Two of the benchmarks got faster, one got slower by about five percent.",
    "Compiling the kernels takes a moment the first time, and is cached after that.",
    "I will read the next paragraph slowly, so that you can follow along.",
    "The weather tomorrow looks dry, with a light wind from the west.",
    "That function is called from four places; renaming it touches all of them.",
    "Here is the answer, in one sentence: yes, it works offline.",
    "Thank you. I will remember that you prefer shorter answers.",
]


class RssSampler:
    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _tree(self) -> list:
        """The server's pid and its descendants' (parent links read from /proc/*/stat)."""
        parent = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += [c for c, p in parent.items() if p == pid]
        return pids

    def _run(self):
        while not self._stop.is_set():
            kb = 0
            for pid in self._tree():                  # the server and its worker processes
                try:
                    with open(f"/proc/{pid}/status") as f:
                        kb += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
                except (OSError, StopIteration):
                    pass
            self.samples.append((time.perf_counter(), kb / 1024))
            time.sleep(0.1)

    def between(self, t0, t1):
        return [mb for t, mb in self.samples if t0 <= t < t1]

    def stop(self):
        self._stop.set()
        self.thread.join()


async def client_loop(url: str, k: int, seconds: float, results: list) -> None:
    from psigraph.client import Client
    t_end = time.perf_counter() + seconds
    i = 0
    async with Client(url, token=TOKEN) as c:
        while time.perf_counter() < t_end:
            text = TEXTS[(k + 8 * i) % len(TEXTS)] if len(TEXTS) > 8 else TEXTS[k % len(TEXTS)]
            t0 = time.perf_counter()
            utt = await c.collect(text, id=f"{k}-{i}")
            wall = time.perf_counter() - t0
            results.append({"client": k, "text": text, "wall": wall, "utt": utt})
            i += 1


async def phase(url: str, clients: int, seconds: float) -> list:
    results: list = []
    await asyncio.gather(*(client_loop(url, k, seconds, results) for k in range(clients)))
    return results


async def stalled_client(url: str, seconds: float) -> None:
    import aiohttp
    async with aiohttp.ClientSession() as http, http.ws_connect(
            url + "/ws", headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send_json({"type": "say", "text": " ".join(TEXTS) * 10, "id": "stalled"})
        ws._conn.transport.pause_reading()
        await asyncio.sleep(seconds)


def check(results: list, folder: str) -> tuple[int, int, list]:
    """(streams checked, streams bit-identical, delivery rates)."""
    from psigraph.server.speak import offline_reference
    refs = {}
    ok, rates = 0, []
    for r in results:
        utt = r["utt"]
        if r["text"] not in refs:
            pcm, _, rows = offline_reference(r["text"], folder)
            refs[r["text"]] = (pcm, rows.astype(np.float16))
        pcm, rows = refs[r["text"]]
        same = (utt.end.reason == "done" and utt.end.samples == len(utt.audio) and utt.end.frames == len(utt.frames)
                and np.array_equal(utt.audio, pcm) and np.array_equal(utt.frames, rows))
        ok += bool(same)
        if not same and os.environ.get("SERVE_BENCH_DEBUG"):
            print("mismatch:", r["text"][:40], utt.end, len(utt.audio), len(pcm), utt.frames.shape, rows.shape,
                  len(pcm) == len(utt.audio) and np.array_equal(utt.audio, pcm),
                  np.nonzero(utt.audio != pcm)[0][:3] if len(pcm) == len(utt.audio) else "",
                  np.array_equal(utt.frames, rows))
        rates.append(len(utt.audio) / utt.start.sample_rate / r["wall"])
    return len(results), ok, rates


def main() -> None:
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    p, url = start_server()
    rss = RssSampler(p.pid)
    try:
        time.sleep(1.0)
        t0 = time.perf_counter()
        one = asyncio.run(phase(url, 1, min(seconds, 20.0)))
        t1 = time.perf_counter()
        many = asyncio.run(phase(url, clients, seconds))
        t2 = time.perf_counter()
        asyncio.run(stalled_client(url, 10.0))
        t3 = time.perf_counter()
    finally:
        p.terminate()
        p.wait(30)
        rss.stop()
    with open("/proc/loadavg") as f:
        print(f"load {f.read().split()[:3]}")
    with tempfile.TemporaryDirectory() as folder:
        for name, res, a, b in (("1 client", one, t0, t1), (f"{clients} clients", many, t1, t2)):
            n, ok, rates = check(res, folder)
            speech = sum(len(r["utt"].audio) for r in res) / 24000
            print(f"{name}: {n} streams ({speech:.0f} s of speech in {b - a:.0f} s), {ok}/{n} complete and "
                  f"bit-identical to say; delivery rate min {min(rates):.2f}x median {np.median(rates):.2f}x "
                  f"real time; peak server RSS {max(rss.between(a, b)):.0f} MB")
    first = rss.between(t1, t1 + 10.0)
    last = rss.between(t2 - 10.0, t2)
    print(f"{clients} clients: server RSS first 10 s max {max(first):.0f} MB, last 10 s max {max(last):.0f} MB "
          f"(drift {max(last) - max(first):+.0f} MB)")
    stalled = rss.between(t2 + 1.0, t3)
    print(f"client that stops reading: server RSS {min(stalled):.0f}..{max(stalled):.0f} MB over {t3 - t2:.0f} s")


if __name__ == "__main__":
    main()
