"""`psigraph serve` as a process: token file, loopback refusal, graceful SIGTERM with --db flushed."""
import asyncio
import os
import signal
import subprocess
import sys

import aiohttp

from psigraph.client import Client

PY = sys.executable


def _psigraph(*args, env=None):
    return subprocess.Popen([PY, "-m", "psigraph.runtime.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def test_refuses_non_loopback_without_flag():
    p = _psigraph("serve", "--host", "0.0.0.0", "--port", "0")
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1 and "--allow-remote" in err and len(err.strip().splitlines()) == 1


def test_sigterm_ends_streams_and_flushes_the_store(tmp_path):
    tok, db = tmp_path / "t" / "serve.token", tmp_path / "mem.db"
    p = _psigraph("serve", "--port", "0", "--token-file", str(tok), "--db", str(db), "--processes", "1",
                  env={"PSIGRAPH_TOKEN": ""})
    try:
        line = p.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line + p.stderr.read()
        url = line.split("listening on ")[1].split("/ ")[0]
        assert (os.stat(tok).st_mode & 0o777) == 0o600
        token = tok.read_text().strip()

        async def go():
            async with aiohttp.ClientSession() as http, http.get(url + "/health") as r:
                assert r.status == 200
            items = []
            async with Client(url, token=token) as c:
                done = await c.collect("First, a short one.")
                async for it in c.say("Then a long sentence that the server is stopped in the middle of. " * 4):
                    items.append(it)
                    if len(items) == 20:
                        p.send_signal(signal.SIGTERM)
            return done, items
        done, items = asyncio.run(go())
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    end = items[-1]
    assert done.end.reason == "done" and end.reason == "shutdown" and end.samples > 0
    assert rc == 0 and not tok.exists()
    from psigraph.memory.store import Store
    with Store(str(db), create=False) as store:
        assert len(store.utterances()) == 2          # the finished one and the part said before SIGTERM
