"""Security of `psigraph serve`: token, Origin, Host, loopback binds, fuzzed messages."""
import json
import os

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psigraph.server import security

from psigraph import wire
from psigraph.errors import PsigraphError

from .conftest import TOKEN, LoopThread, run, serve


async def _handshake(url, headers=None, query=""):
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url + "/ws" + query, headers=headers or {}) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as e:
            return e.status


def test_token_and_origin_are_required_before_the_upgrade():
    async def go():
        async with serve(allow_origins=("http://localhost:3000",)) as (server, url):
            port = server.config.port
            codes = {
                "none": await _handshake(url),
                "wrong": await _handshake(url, {"Authorization": "Bearer " + "y" * 40}),
                "wrong_query": await _handshake(url, query="?token=nope"),
                "evil_origin": await _handshake(url, {"Authorization": f"Bearer {TOKEN}",
                                                      "Origin": "http://evil.example"}),
                "null_origin": await _handshake(url, {"Authorization": f"Bearer {TOKEN}", "Origin": "null"}),
                "other_port": await _handshake(url, {"Authorization": f"Bearer {TOKEN}",
                                                     "Origin": f"http://127.0.0.1:{port + 1}"}),
            }
            rejected_sessions = server.stats["sessions"]
            codes["query_ok"] = await _handshake(url, query=f"?token={TOKEN}")
            codes["own_origin"] = await _handshake(url, {"Authorization": f"Bearer {TOKEN}",
                                                         "Origin": f"http://localhost:{port}"})
            codes["allowed_origin"] = await _handshake(url, {"Authorization": f"Bearer {TOKEN}",
                                                             "Origin": "http://localhost:3000"})
            return codes, rejected_sessions, server.stats["rejected"]
    codes, sessions, rejected = run(go())
    assert codes == {"none": 401, "wrong": 401, "wrong_query": 401, "evil_origin": 403, "null_origin": 403,
                     "other_port": 403, "query_ok": 101, "own_origin": 101, "allowed_origin": 101}
    assert sessions == 0 and rejected == 6


def test_rejected_client_cannot_make_the_server_speak():
    """A page that cannot pass the handshake gets nothing synthesised, whatever it sends."""
    async def go():
        async with serve() as (server, url):
            async with aiohttp.ClientSession() as http:
                with pytest.raises(aiohttp.WSServerHandshakeError):
                    async with http.ws_connect(url + "/ws", headers={"Origin": "http://evil.example",
                                                                     "Authorization": f"Bearer {TOKEN}"}) as ws:
                        await ws.send_json({"type": "say", "text": "pwned"})
                async with http.post(url + "/ws", data=json.dumps({"type": "say", "text": "pwned"})) as r:
                    post = r.status
                async with http.get(url + "/health", headers={"Host": "evil.example:8765"}) as r:
                    rebinding = r.status
            return server.stats["sessions"], post, rebinding
    sessions, post, rebinding = run(go())
    assert sessions == 0 and post in (401, 405) and rebinding == 421


def test_non_loopback_bind_needs_the_flag():
    with pytest.raises(PsigraphError, match="--allow-remote"):
        security.check_bind("0.0.0.0", allow_remote=False)
    assert "warning" in security.check_bind("0.0.0.0", allow_remote=True)
    assert security.check_bind("127.0.0.1", False) is None and security.check_bind("::1", False) is None
    assert security.check_bind("localhost", False) is None


def test_token_file_is_private(tmp_path):
    path = tmp_path / "d" / "serve.token"
    security.write_token_file(str(path), "abc" * 10)
    assert path.read_text().strip() == "abc" * 10 and (os.stat(path).st_mode & 0o777) == 0o600
    link = tmp_path / "link.token"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PsigraphError, match="symbolic link"):
        security.write_token_file(str(link), "abc" * 10)
    assert not (tmp_path / "elsewhere").exists()


# ---------------------------------------------------------------- fuzzing
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                  max_size=4), max_leaves=12)
_field = st.sampled_from(["text", "id", "emotion", "persona", "like", "type", "path", "db", "graph"])
_typed = st.builds(lambda t, extra: json.dumps({"type": t, **extra}),
                   st.sampled_from(["say", "cancel", "bye", "listen", "start", "end", "", "SAY"]) | st.text(max_size=6),
                   st.dictionaries(_field, _json | st.text(min_size=0, max_size=200), max_size=4))
_huge = st.builds(lambda n, c: json.dumps({"type": "say", "text": c * n}), st.integers(20_001, 120_000),
                  st.sampled_from(["a", "é", "\u3042", " "]))
_messages = (_json.map(json.dumps) | _typed | _huge | st.text(max_size=200)
             | st.binary(max_size=300) | st.just("x" * (wire.MAX_MESSAGE_BYTES + 1)))


def _valid(msg) -> bool:
    try:
        wire.parse_client(msg)
    except wire.WireError:
        return False
    return True


def test_fuzzed_messages_get_well_formed_errors():
    """1,000 random messages on one connection: each answered by one well-formed error; no crash;
    the connection and the server keep working."""
    lt = LoopThread()
    counts = {"sent": 0, "valid_skipped": 0}

    @settings(max_examples=1000, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(_messages)
    def one(msg):
        if _valid(msg):                       # a valid say/bye would start a stream or close the socket
            counts["valid_skipped"] += 1
            return
        reply = lt.call(lt.exchange(msg))
        counts["sent"] += 1
        assert set(reply) <= {"type", "message", "code", "id"} and reply["type"] == "error"
        assert isinstance(reply["message"], str) and 0 < len(reply["message"]) <= 400
        assert "\n" not in reply["message"] and isinstance(reply["code"], str)

    try:
        one()
        ok = lt.call(lt.exchange(json.dumps({"type": "say", "text": "Still fine.", "id": "z"})))
        stats = dict(lt.server.stats)
    finally:
        lt.close()
    assert counts["sent"] >= 950, counts
    assert ok["type"] == "start" and ok["id"] == "z"
    assert stats["errors"] >= counts["sent"] - 10 and stats["sessions"] == 1
