"""psigraph.wire: binary header layout, client message parsing, PCM rounding, saved streams."""
import json

import numpy as np
import pytest

from psigraph import wire


def test_binary_header_layout():
    b = wire.pack_audio(2 ** 40 + 3, wire.pcm16([0.0, 0.5, -1.0]))
    assert b[0] == 1 and int.from_bytes(b[1:9], "little") == 2 ** 40 + 3
    a = wire.unpack_binary(b)
    assert isinstance(a, wire.Audio) and a.pcm.tolist() == [0, 16384, -32767]
    f = wire.unpack_binary(wire.pack_frame(800, np.array([0.25, -1.5, 14.0])))
    assert isinstance(f, wire.Frame) and f.index == 800 and f.values.dtype == np.float16
    assert f.values.tolist() == [0.25, -1.5, 14.0]
    with pytest.raises(wire.WireError):
        wire.unpack_binary(b"\x01\x00")
    with pytest.raises(wire.WireError):
        wire.unpack_binary(bytes([9]) + bytes(8))


def test_pcm16_rounds_and_clips_like_the_wav_sink():
    x = np.array([2.0, -2.0, 0.5 / 32767, 1.5 / 32767, -0.5 / 32767, 0.3])
    assert np.frombuffer(wire.pcm16(x), "<i2").tolist() == [32767, -32767, 0, 2, 0, round(0.3 * 32767)]


@pytest.mark.parametrize("msg, cls", [
    ({"type": "say", "text": "hi"}, wire.Say), ({"type": "cancel"}, wire.Cancel),
    ({"type": "cancel", "id": "a"}, wire.Cancel), ({"type": "bye"}, wire.Bye), ({"type": "listen"}, wire.Listen)])
def test_valid_client_messages(msg, cls):
    assert isinstance(wire.parse_client(json.dumps(msg)), cls)


def test_say_fields_are_checked():
    s = wire.parse_client(json.dumps({"type": "say", "text": "hi", "id": 3, "emotion": [0.5, 0.1, 0],
                                      "persona": "low", "like": "earlier words"}))
    assert (s.id, s.emotion, s.persona, s.like) == (3, "0.5,0.1,0.0", "low", ("earlier words",))
    for bad in ({"type": "say", "text": "hi", "id": True}, {"type": "say", "text": "hi", "id": ""},
                {"type": "say", "text": "hi", "emotion": [1, 2]}, {"type": "say", "text": "hi", "like": [1, 2, 3]},
                {"type": "say", "text": "hi", "like": [0]}, {"type": "say", "text": "a\x00b"},
                {"type": "bye", "x": 1}, {"type": "cancel", "id": [1]}):
        with pytest.raises(wire.WireError):
            wire.parse_client(json.dumps(bad))


def test_saved_stream_round_trip():
    msgs = [wire.message("start", id=1), wire.pack_audio(0, b"\x01\x00"), wire.message("end", id=1)]
    assert list(wire.load_stream(wire.dump_stream(msgs))) == msgs
    with pytest.raises(wire.WireError):
        list(wire.load_stream(wire.dump_stream(msgs)[:-1]))


def test_assemble_refuses_gaps():
    with pytest.raises(wire.WireError, match="gap"):
        wire.assemble([wire.pack_audio(0, b"\0\0"), wire.pack_audio(5, b"\0\0")])
