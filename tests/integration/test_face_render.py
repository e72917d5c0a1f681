"""Headless rendering (vispy on OSMesa/EGL), the golden low-resolution render, and MP4/WebM export."""
import importlib.util
import os

import numpy as np
import pytest

from psigraph import registry
from psigraph.graph import Graph
from psigraph.nodes.face import node as face_node
from psigraph.nodes.face.head import build_head
from psigraph.nodes.face.synthetic import source_node, synthetic_audio, synthetic_state
from psigraph.nodes.face.video import export_video, probe
from psigraph.runtime import Session

HERE = os.path.dirname(__file__)
GOLDEN = os.path.join(HERE, "..", "golden", "face_render_96.npz")
for cls in (face_node.FaceAnimator, face_node.FaceRender, face_node.VideoSink, source_node()):
    registry.register(cls)


def _golden_module():
    spec = importlib.util.spec_from_file_location("face_make_golden", os.path.join(HERE, "..", "golden", "face_make_golden.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_head_model_has_the_issue_shapes():
    m = build_head(0.7)
    need = ("jawOpen mouthClose mouthFunnel mouthPucker mouthSmile_L mouthSmile_R mouthFrown_L mouthFrown_R "
            "mouthStretch_L mouthStretch_R mouthPress_L mouthPress_R mouthRollLower mouthRollUpper "
            "mouthShrugLower mouthShrugUpper mouthLowerDown_L mouthLowerDown_R mouthUpperUp_L mouthUpperUp_R "
            "browInnerUp browDown_L browDown_R browOuterUp_L browOuterUp_R eyeBlink_L eyeBlink_R eyeWide_L "
            "eyeWide_R eyeSquint_L eyeSquint_R cheekSquint_L cheekSquint_R cheekPuff noseSneer_L noseSneer_R").split()
    for n in need:
        d = m.deltas[m.shape_names.index(n)]
        assert np.abs(d).max() > 0.005, n
    assert m.faces.max() < len(m.vertices)


def test_golden_render():
    gold = np.load(GOLDEN)
    got = _golden_module().render_golden()
    for k, img in got.items():
        ref = gold[k]
        assert img.shape == ref.shape == (96, 96, 4)
        diff = np.abs(img.astype(int) - ref.astype(int))[..., :3]
        assert diff.mean() < 2.0, (k, diff.mean())
        assert (diff.max(axis=2) > 40).mean() < 0.01, k
    # the poses really differ (the face moves)
    assert np.abs(got["neutral"].astype(int) - got["open_smile"].astype(int)).mean() > 1.0


def test_render_node_in_session():
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": 0.5})
    g.add_node("face", "face_animator")
    g.add_node("render", "face_render", {"width": 32, "height": 24})
    g.add_node("snk", "vector_sink")
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "render.blendshapes")
    g.connect("render.frames", "snk.x")
    s = Session(g, block=480)
    s.run(duration=0.25)
    data = s.node("snk").data
    s.close()
    assert data.shape == (15, 32 * 24 * 4) and data.dtype == np.uint8
    img = data[0].reshape(24, 32, 4)
    assert img[..., 3].min() == 255 and img[..., :3].std() > 10      # a face on a background


@pytest.mark.parametrize("ext", ["mp4", "webm"])
def test_export_streams_start_together(tmp_path, ext):
    from psigraph.nodes.face.render import FaceRenderer, row_from
    rows, labels, _ = synthetic_state(1.5, seed=2)
    audio = synthetic_audio(rows, labels)
    r = FaceRenderer(64, 64)
    frames = [r.render(row_from({"jawOpen": 0.3 * (i % 10) / 10})) for i in range(90)]
    r.close()
    path = tmp_path / f"clip.{ext}"
    res = export_video(str(path), iter(frames), audio, fps=60, sample_rate=24000)
    assert res["frames"] == 90
    info = probe(str(path))
    v, a = info["video"], info["audio"]
    assert v["count"] == 90
    assert abs(v["start"] - a["start"]) <= 1 / 60
    assert abs(v["duration"] - a["duration"]) <= 1 / 60


def test_video_sink_in_session(tmp_path):
    path = tmp_path / "s.mp4"
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": 1.0})
    g.add_node("face", "face_animator")
    g.add_node("render", "face_render", {"width": 48, "height": 48})
    g.add_node("video", "video_sink", {"path": str(path), "width": 48, "height": 48})
    g.add_node("tone", "sine", {"freq": 220.0, "amp": 0.3})
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "render.blendshapes")
    g.connect("render.frames", "video.frames"); g.connect("tone.y", "video.audio")
    s = Session(g, block=480)
    s.run(duration=0.5)
    s.close()
    info = probe(str(path))
    assert info["video"]["count"] == 30
    assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 1 / 60


def test_parallel_render_matches_in_process():
    from psigraph.nodes.face.render import render_frames, row_from
    from psigraph.nodes.face.render_pool import render_frames_parallel
    rows = np.stack([row_from({"jawOpen": 0.1 * i, "eyeBlink_L": 0.2 * i}) for i in range(5)])
    a = list(render_frames_parallel(rows, (32, 32), workers=2, slots=2))
    b = list(render_frames(rows, (32, 32)))
    assert len(a) == 5 and all(np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------- face_render workers (a persistent render pool)
def _render_graph(workers, *, duration=0.6, size=(40, 32), video=None):
    g = Graph()
    g.add_node("src", "face_synthetic_state", {"duration": duration, "seed": 4})
    g.add_node("face", "face_animator")
    g.add_node("render", "face_render", {"width": size[0], "height": size[1], "workers": workers})
    g.connect("src.state", "face.state"); g.connect("face.blendshapes", "render.blendshapes")
    if video:
        g.add_node("video", "video_sink", {"path": str(video), "width": size[0], "height": size[1]})
        g.add_node("tone", "sine", {"freq": 220.0, "amp": 0.3})
        g.connect("render.frames", "video.frames"); g.connect("tone.y", "video.audio")
    else:
        g.add_node("snk", "vector_sink")
        g.connect("render.frames", "snk.x")
    return g


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:          # a zombie is not alive
        return f.read().split(")")[-1].split()[0] != "Z"


def test_render_workers_are_bit_identical_to_in_process_and_start_once():
    frames, pids = {}, {}
    for workers, block in ((0, 4800), (1, 1000), (2, 4800), (3, 333)):
        s = Session(_render_graph(workers), block=block)
        node = s.node("render")
        started = list(node._renderer.pids) if workers else []          # warmup() started the pool
        s.run(duration=0.6)
        if workers:
            assert node._renderer.pids == started and len(started) == workers   # one pool for all blocks
            pids[workers] = started
        frames[workers] = s.node("snk").data
        s.close()
    assert frames[0].shape == (36, 40 * 32 * 4) and frames[0].dtype == np.uint8
    assert frames[0][:, :].std() > 10
    for w in (1, 2, 3):
        assert np.array_equal(frames[w], frames[0]), w
    for ps in pids.values():                                            # close() stopped the workers
        assert not any(_alive(p) for p in ps)


def test_video_with_render_workers_is_byte_identical(tmp_path):
    data = {}
    for workers in (0, 2):
        path = tmp_path / f"w{workers}.mp4"
        s = Session(_render_graph(workers, video=path, size=(48, 48)), block=4800)
        s.run(duration=0.5)
        s.close()
        data[workers] = path.read_bytes()
        info = probe(str(path))
        assert info["video"]["count"] == 30
        assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 1 / 60
    assert data[0] == data[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w0.mp4", "w2.mp4"]        # no temporary files


def test_killed_render_worker_is_one_clear_error(tmp_path):
    import signal

    from psigraph.errors import PsigraphError
    path = tmp_path / "v.mp4"
    s = Session(_render_graph(2, duration=2.0, video=path, size=(48, 48)), block=4800)
    s.advance(4800)
    pool = s.node("render")._renderer
    pids = list(pool.pids)
    os.kill(pids[1], signal.SIGKILL)
    with pytest.raises(PsigraphError) as e:
        s.advance(4800)
    s.abort()
    line = e.value.line()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("node render (face_render): error: render worker 1") and "SIGKILL" in line
    assert "workers: 0" in line                                          # how to get going again
    assert not any(_alive(p) for p in pids)                              # the other worker is stopped too
    assert not list(tmp_path.iterdir())                                  # no partial video
    with pytest.raises(PsigraphError, match="closed after a failure"):
        pool.render_into(np.zeros((1, 58)), np.zeros((1, 48 * 48 * 4), np.uint8))


def test_render_worker_exception_names_the_cause():
    from psigraph.nodes.face.render import RenderError
    from psigraph.nodes.face.render_pool import RenderPool
    pool = RenderPool(16, 16, workers=1, ssaa="x")          # FaceRenderer(ssaa="x") raises in the worker
    with pytest.raises(RenderError, match=r"render worker 0 failed: ValueError: .*'x'"):
        pool.wait_ready()
    pool.close()


def test_render_pool_survives_many_sequences_and_an_early_stop():
    from psigraph.nodes.face.render import render_frames, row_from
    from psigraph.nodes.face.render_pool import RenderPool
    rows = np.stack([row_from({"jawOpen": 0.08 * i, "headYaw": 0.02 * i}) for i in range(7)])
    ref = np.stack(list(render_frames(rows, (24, 16))))
    with RenderPool(24, 16, workers=2, slots=2) as pool:
        pids = pool.pids
        for n in (7, 1, 0, 3):
            out = np.zeros((n, 16, 24, 4), np.uint8)
            pool.render_into(rows[:n], out)
            assert np.array_equal(out, ref[:n])
        assert [x.tolist() for x in pool.imap(rows)] == [x.tolist() for x in ref]
        it = pool.imap(rows)
        next(it)
        it.close()                                          # frames in flight: the pool stops rather than guess
        assert not any(_alive(p) for p in pids)


def test_workers_param_is_checked():
    from psigraph.errors import ParamError
    from psigraph.ports import SignalSpec
    bs = SignalSpec(400, 58, labels=face_node.BLENDSHAPE_LABELS, rate_hz=60.0)
    for w in (0, 1, 8):
        assert face_node.FaceRender.check(face_node.FaceRenderParams(workers=w), {"blendshapes": bs}) == []
    for w in (-1, 9, 2.5, True):
        with pytest.raises(ParamError, match="workers"):
            face_node.FaceRenderParams.from_dict({"workers": w})
    import psigraph
    g = _render_graph(2)
    g.nodes["render"].params["workers"] = 9
    issues = [i for i in psigraph.check(g) if i.severity == "error"]
    assert [i.path for i in issues] == ["nodes.render.params.workers"]


def test_video_sink_close_drops_queued_frames_and_leaves_nothing(tmp_path):
    from psigraph.nodes.face.video import VideoWriter
    w = VideoWriter(str(tmp_path / "x.mp4"), 32, 32, fps=60, sample_rate=24000)
    encoded = []
    orig = w._encode
    w._encode = lambda img: (encoded.append(1), orig(img))
    for _ in range(16):
        w.add_frame(np.zeros((32, 32, 4), np.uint8))
    w.abort()
    assert len(encoded) < 16 and w._th is None
    assert not list(tmp_path.iterdir())


def test_video_encoding_error_surfaces_by_flush(tmp_path, monkeypatch):
    from psigraph.errors import PsigraphError
    from psigraph.nodes.face import video as video_mod

    def broken(self, img):
        raise RuntimeError("encoder exploded")
    monkeypatch.setattr(video_mod.VideoWriter, "_encode", broken)
    path = tmp_path / "v.mp4"
    s = Session(_render_graph(0, video=path, size=(32, 32)), block=4800)
    with pytest.raises(PsigraphError, match="video encoding failed: encoder exploded"):
        s.run(duration=0.2)                    # run() flushes: the error is out by then at the latest
    s.abort()
    assert not list(tmp_path.iterdir())


def test_render_worker_start_up_failure_is_located_at_the_node(monkeypatch):
    from psigraph.errors import PsigraphError
    monkeypatch.setenv("PSIGRAPH_GL", "nonsense")          # read by the fresh worker processes only
    with pytest.raises(PsigraphError) as e:
        Session(_render_graph(2), block=4800)               # warmup() waits for the workers
    line = e.value.line()
    assert line.startswith("node render (face_render): error: render worker ") and "\n" not in line
    assert "failed: no off-screen GL backend" in line                  # the worker's own message, not its repr
    assert "unknown PSIGRAPH_GL='nonsense' (use osmesa or egl)" in line
