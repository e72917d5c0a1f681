"""The `say --video` pipeline's speed changes keep its output: the encoder reads RGBA in place, the
render pool forks its workers from one start-up process, face_render starts the pool in reset()."""
from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("av")


def _frames(n=12, size=32):
    """Smooth, moving RGBA test images (gradients and a moving disc: chroma and motion to encode)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    out = []
    for i in range(n):
        disc = ((x - 0.3 - 0.03 * i) ** 2 + (y - 0.5) ** 2 < 0.04).astype(np.float32)
        rgb = np.stack([x, y, 0.5 + 0.5 * disc], axis=-1)
        rgba = np.concatenate([rgb, np.ones((size, size, 1), np.float32)], axis=-1)
        out.append((rgba * 255).round().astype(np.uint8))
    return out


@pytest.mark.parametrize("threaded", [False, True])
def test_rgba_frames_encode_to_the_same_bytes_as_their_rgb(tmp_path, threaded):
    from psigraph.nodes.face.video import VideoWriter, probe
    frames = _frames()
    audio = (0.3 * np.sin(np.arange(24000 // 5) * 0.07)).astype(np.float32)
    paths = {}
    for kind in ("rgba", "rgb", "flat"):
        path = tmp_path / f"{kind}.mp4"
        w = VideoWriter(str(path), 32, 32, fps=60, sample_rate=24000, threaded=threaded)
        w.add_audio(audio)
        for f in frames:
            img = {"rgba": f, "rgb": np.ascontiguousarray(f[..., :3]), "flat": f.reshape(-1)}[kind]
            w.add_frame(img)
        w.close()
        paths[kind] = path
    data = {k: p.read_bytes() for k, p in paths.items()}
    assert data["rgba"] == data["rgb"] == data["flat"]
    info = probe(str(paths["rgba"]))
    assert info["video"]["count"] == len(frames)
    assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 1 / 60


def test_encoded_colours_match_the_frames(tmp_path):
    """Decoding gives back the RGBA frames' colours (to H.264's precision), not a channel-swapped copy."""
    import av

    from psigraph.nodes.face.video import VideoWriter
    frames = _frames(4)
    path = tmp_path / "c.mp4"
    w = VideoWriter(str(path), 32, 32, fps=60, sample_rate=24000, crf=0, threaded=False)
    for f in frames:
        w.add_frame(f)
    w.close()
    with av.open(str(path)) as c:
        got = [fr.to_ndarray(format="rgb24") for fr in c.decode(video=0)]
    assert len(got) == 4
    err = np.abs(np.stack(got).astype(int) - np.stack(frames)[..., :3].astype(int))
    assert np.median(err) <= 2 and err.mean() < 4              # 4:2:0 chroma blurs the disc's edge only


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().split(")")[-1].split()[1])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_render_pool_forks_its_workers_from_one_start_up_process():
    from psigraph.nodes.face.render import render_frames, row_from
    from psigraph.nodes.face.render_pool import RenderPool
    rows = np.stack([row_from({"jawOpen": 0.15 * i, "eyeBlink_R": 0.1 * i}) for i in range(5)])
    ref = np.stack(list(render_frames(rows, (24, 24))))
    pool = RenderPool(24, 24, workers=3, slots=2)
    starter = pool._procs[0]
    pids = pool.pids
    assert len(set(pids)) == 3 and os.getpid() not in pids
    assert {_ppid(p) for p in pids} == {starter.pid}                  # one process loaded the head and forked
    out = np.zeros((5, 24, 24, 4), np.uint8)
    pool.render_into(rows, out)
    assert np.array_equal(out, ref)
    pool.close()
    assert not any(_alive(p) for p in pids)
    assert starter.poll() is not None                                  # it reaped them and left


def test_face_render_starts_its_pool_before_the_other_nodes_warm_up(monkeypatch):
    """reset() starts the worker processes, so they load the head while the rest warms up."""
    from psigraph import registry
    from psigraph.graph import Graph
    from psigraph.nodes.face import node as face_node
    from psigraph.nodes.face.render_pool import RenderPool
    from psigraph.nodes.face.synthetic import source_node
    from psigraph.runtime import Session
    for cls in (face_node.FaceAnimator, face_node.FaceRender, source_node()):
        registry.register(cls)
    events = []
    monkeypatch.setattr(RenderPool, "wait_ready", lambda self, _w=RenderPool.wait_ready: (events.append("wait"), _w(self))[1])
    from psigraph.nodes.face.animator_node import FaceAnimator
    monkeypatch.setattr(FaceAnimator, "warmup", lambda self: events.append("animator warmup"))
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": 0.1, "seed": 1})
    g.add_node("render", "face_render", {"width": 16, "height": 16, "workers": 1})
    g.add_node("face", "face_animator")
    g.connect("src.state", "face.state")
    g.connect("face.blendshapes", "render.blendshapes")
    g.add_node("snk", "vector_sink")
    g.connect("render.frames", "snk.x")
    orig_init = RenderPool.__init__
    monkeypatch.setattr(RenderPool, "__init__", lambda self, *a, **k: (events.append("pool start"), orig_init(self, *a, **k))[1])
    s = Session(g, block=4800)
    try:
        assert events.index("pool start") < events.index("animator warmup")
        assert events.count("pool start") == 1
        s.run(duration=0.1)
        assert s.node("snk").data.shape == (6, 16 * 16 * 4)
    finally:
        s.close()


def test_skin_and_hair_programs_draw_the_pixels_of_the_full_shader():
    """The skin and the hair draw with programs whose material is written in (FRAG's MAT_LINE);
    the image is the full shader's (at most 1 of 255 apart, in a handful of pixels)."""
    from psigraph.nodes.face.render import FRAG, MAT_LINE, FaceRenderer, row_from
    assert MAT_LINE in FRAG                       # the shader still reads the material on this line
    rows = [row_from({}), row_from({"jawOpen": 0.6, "mouthSmile_L": 0.8, "mouthSmile_R": 0.8}),
            row_from({"jawOpen": 0.3, "headYaw": 0.4, "eyeBlink_L": 1.0})]
    parted, full = FaceRenderer(96, 96), FaceRenderer(96, 96)
    full._parts = []                              # everything with the full program
    assert len(parted._part_values) == 2          # the ICT head: skin and hair
    for row in rows:
        a, b = parted.render(row).astype(int), full.render(row).astype(int)
        d = np.abs(a - b).max(axis=-1)
        assert d.max() <= 1 and (d > 0).mean() < 1e-3
    prepared = parted.prepare(rows[1])
    skin, hair, rest = prepared[6]                # faces per part, in that order
    assert skin + hair + rest == len(prepared[3]) and skin > len(prepared[3]) // 3 and hair and rest
    parted.close()
    full.close()


def test_say_video_is_the_same_file_with_face_render_a_chunk_behind(tmp_path):
    """face_render is a PIPELINE node: with the session's pipeline it (and the video sink) run a chunk
    behind the synthesis on a second thread; the MP4 is the same bytes either way."""
    from psigraph.nodes.face.render_node import FaceRender
    from psigraph.runtime import say as S
    assert FaceRender.PIPELINE
    data = {}
    for pipeline in (False, True):
        out = tmp_path / f"p{int(pipeline)}.mp4"
        S.say(S.SayOptions(text="Hello there, my friend.", video=str(out), size=48, pipeline=pipeline))
        data[pipeline] = out.read_bytes()
    assert data[True] == data[False] and len(data[True]) > 1000
