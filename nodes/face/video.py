"""MP4 (H.264/AAC) and WebM (VP9/Opus) writing with PyAV; encoding runs in its own thread.

The container is chosen by the file extension. Audio is padded or trimmed to the
video's exact duration (frames / fps), and both streams start at time 0, so the
decoded durations differ by less than one frame (codec priming aside). The file is
written under a temporary name beside the target (:class:`psigraph.outputs.PendingFile`)
and moved into place by ``commit()``; a failed or aborted export leaves any earlier
file untouched.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from typing import Iterable

import numpy as np

from psigraph.errors import PsigraphError
from psigraph.outputs import PendingFile
from psigraph.progress import ProgressBar

#: extension → (video codec, audio codec, audio sample format, container format)
FORMATS = {
    ".mp4": ("libx264", "aac", "fltp", "mp4"),
    ".m4v": ("libx264", "aac", "fltp", "mp4"),
    ".mov": ("libx264", "aac", "fltp", "mov"),
    ".webm": ("libvpx-vp9", "libopus", "flt", "webm"),
}
#: highest crf of each video codec (8-bit)
MAX_CRF = {"libx264": 51, "libvpx-vp9": 63}
#: audio codec → (encoding sample rate, samples per codec frame): AAC 1024 at 48 kHz (21.3 ms), Opus 20 ms
AUDIO_FRAMING = {"aac": (48000, 1024), "libopus": (24000, 480)}


#: Kaiser β of the resampling filter: 80 dB stopband (β = 0.1102·(A − 8.7), Kaiser 1974)
RESAMPLE_KAISER_BETA = 0.1102 * (80.0 - 8.7)
#: taps of the resampling filter per unit of max(up, down) on each side of its centre
RESAMPLE_HALF_TAPS = 16
#: up to this many filter phases each is one np.convolve over the whole input; more (e.g. 44.1 → 48 kHz,
#: 160 phases) gather the taps per output sample instead
MAX_CONVOLVED_PHASES = 8


def _resampling_filter(up: int, down: int) -> np.ndarray:
    """Kaiser-windowed sinc low-pass at the lower of the two Nyquist rates (in the rate ``up``
    times the input's), gain ``up``: 80 dB stopband, the transition centred on the cut-off."""
    m = max(up, down)
    half = RESAMPLE_HALF_TAPS * m
    t = np.arange(-half, half + 1) / m
    h = np.sinc(t) * np.kaiser(2 * half + 1, RESAMPLE_KAISER_BETA)
    return h * (up / h.sum())


def resample(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """``x`` at ``up/down`` times its rate (polyphase FIR, zero-phase: sample 0 stays at time 0;
    ``ceil(len(x)·up/down)`` samples out), in numpy — scipy.signal would cost ~0.7 s to import."""
    x = np.asarray(x, dtype=np.float64)
    n_out = -(-len(x) * up // down)
    h = _resampling_filter(up, down)
    half = (len(h) - 1) // 2
    taps = -(-len(h) // up)
    phases = np.concatenate([h, np.zeros(taps * up - len(h))]).reshape(taps, up).T   # [phase, tap]
    t = np.arange(n_out) * down + half           # each output's time in the up-sampled stream
    last, phase = t // up, t % up                # its newest input sample under the filter; the phase
    y = np.empty(n_out)
    if up <= MAX_CONVOLVED_PHASES:               # few phases: one full convolution per phase (C speed)
        for r in range(up):
            sel = phase == r
            c = np.concatenate([np.convolve(x, phases[r]), [0.0]]) if len(x) else np.zeros(taps + 1)
            y[sel] = c[last[sel]]
        return y
    xp = np.concatenate([np.zeros(taps), x, np.zeros(taps)])
    step = max(1, (1 << 20) // taps)
    for s in range(0, n_out, step):
        sl = slice(s, s + step)
        idx = last[sl, None] - np.arange(taps) + taps
        y[sl] = np.einsum("ij,ij->i", phases[phase[sl]], xp[idx])
    return y


class VideoWriter:
    """Stream RGBA/RGB frames (and mono audio) into an MP4 or WebM file."""

    def __init__(self, path: str, width: int, height: int, *, fps: int, sample_rate: int,
                 crf: int | None = None, preset: str = "ultrafast", progress: bool = False,
                 total_frames: int | None = None, threaded: bool = True):
        import av
        ext = os.path.splitext(str(path))[1].lower()
        if ext not in FORMATS:
            raise PsigraphError(f"unsupported video extension {ext or '(none)'!r}", where=str(path),
                                hint="use .mp4 (H.264/AAC) or .webm (VP9/Opus)")
        if width % 2 or height % 2:
            raise PsigraphError(f"video size must be even (got {width}x{height})", where=str(path))
        vcodec, self._acodec, self._afmt, container = FORMATS[ext]
        if crf is not None and not 0 <= crf <= MAX_CRF[vcodec]:
            raise PsigraphError(f"crf {crf} is out of range for {ext} (0–{MAX_CRF[vcodec]})", where=str(path))
        self.path, self.fps, self.sr = str(path), int(fps), int(sample_rate)
        self.width, self.height = int(width), int(height)
        self._out = PendingFile(self.path)
        self._finished = False
        try:
            self._c = av.open(self._out.handle, "w", format=container)
            from fractions import Fraction
            vs = self._c.add_stream(vcodec, rate=self.fps)
            vs.width, vs.height, vs.pix_fmt = self.width, self.height, "yuv420p"
            vs.time_base = Fraction(1, self.fps)
            if vcodec == "libx264":
                vs.options = {"crf": str(23 if crf is None else crf), "preset": preset}
            else:
                vs.options = {"crf": str(34 if crf is None else crf), "b": "0", "deadline": "realtime",
                              "cpu-used": "8", "row-mt": "1"}
            self._vs = vs
            # AAC runs at 48 kHz (1024-sample frames = 21.3 ms), Opus at 24 kHz (20 ms frames); the
            # audio length is rounded to whole codec frames so the decoded length is exact (≤ ½ frame off).
            self._enc_sr, self._aframe = AUDIO_FRAMING[self._acodec]
            self._as = self._c.add_stream(self._acodec, rate=self._enc_sr)
            self._as.layout = "mono"
            self._as.format = self._afmt
            self._as.time_base = Fraction(1, self._enc_sr)
        except BaseException:                  # no temporary file left behind by a failed start
            self._out.discard()
            raise
        self._audio: list = []
        self._n = 0
        self._err: BaseException | None = None
        self._progress = ProgressBar(progress, label="export")
        self._total = total_frames
        self._q: queue.Queue | None = queue.Queue(maxsize=16) if threaded else None
        self._dropping = False
        self._th = None
        if threaded:
            self._th = threading.Thread(target=self._worker, name="psigraph-encode", daemon=True)
            self._th.start()

    # ------------------------------------------------------------ video
    def _encode(self, img) -> None:
        import av
        if img.ndim == 1:
            img = img.reshape(self.height, self.width, -1)
        img = np.ascontiguousarray(img, dtype=np.uint8)
        # wrapped, not copied: the encoder's own colour conversion reads the RGBA (or RGB) pixels
        # straight from the array (the same YUV, bit for bit, as from an RGB copy, which cost ~0.5 ms)
        fr = av.VideoFrame.from_numpy_buffer(img, format="rgba" if img.shape[2] == 4 else "rgb24")
        fr.pts = self._n
        for pkt in self._vs.encode(fr):
            self._c.mux(pkt)
        self._n += 1
        self._show_progress()

    def _worker(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            if self._err is None and not self._dropping:
                try:
                    self._encode(item)
                except BaseException as exc:  # reported by the next add_frame() or by finish()
                    self._err = exc

    def _show_progress(self, force: bool = False) -> None:
        el = self._progress.elapsed
        fps = f"{self._n / el:5.1f} fps" if el > 0 else ""
        frac = self._n / self._total if self._total else None
        total = f"/{self._total}" if self._total else ""
        self._progress.update(frac, f"{self._n}{total} frames {fps}", force=force)

    def add_frame(self, img: np.ndarray, copy: bool = True) -> None:
        """Queue one (H, W, 3|4) uint8 image (or a flat H·W·4 row) for the encoding thread, which
        encodes the frames in order (the queue is bounded: a slow encoder holds the caller back).
        ``copy=False`` hands the image over (the caller must not change it afterwards)."""
        if self._err is not None:
            raise PsigraphError(f"video encoding failed: {self._err}", where=self.path)
        if self._q is None:
            self._encode(np.asarray(img))
        else:
            self._q.put(np.array(img, copy=True) if copy else np.asarray(img))

    def add_audio(self, samples: np.ndarray) -> None:
        """Append mono audio samples (float in [-1, 1])."""
        a = np.asarray(samples, dtype=np.float32).reshape(-1)
        if len(a):
            self._audio.append(a)

    # ------------------------------------------------------------ close
    def _write_audio(self, n_frames: int) -> None:
        import av
        audio = np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)
        if self._enc_sr != self.sr:
            from math import gcd
            g = gcd(self._enc_sr, self.sr)
            audio = resample(audio, self._enc_sr // g, self.sr // g).astype(np.float32)
        n = int(round(n_frames * self._enc_sr / self.fps / self._aframe)) * self._aframe
        audio = np.concatenate([audio[:n], np.zeros(max(0, n - len(audio)), np.float32)])
        audio = np.clip(audio, -1.0, 1.0)
        st = self._as
        block = self._aframe
        pts = 0
        for i in range(0, len(audio), block):
            chunk = audio[i:i + block][None, :]
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format=self._afmt, layout="mono")
            fr.sample_rate, fr.pts = self._enc_sr, pts
            pts += chunk.shape[1]
            for pkt in st.encode(fr):
                self._c.mux(pkt)
        for pkt in st.encode(None):
            self._c.mux(pkt)

    def finish(self) -> None:
        """Finish both streams (the file stays under its temporary name until :meth:`commit`)."""
        if self._finished:
            return
        self._finished = True
        self._stop()
        try:
            if self._err is not None:
                raise PsigraphError(f"video encoding failed: {self._err}", where=self.path)
            for pkt in self._vs.encode(None):
                self._c.mux(pkt)
            self._write_audio(self._n)
        finally:
            self._c.close()
            self._show_progress(force=True)
            self._progress.done(keep=True)
        self._out.handle.flush()

    def commit(self) -> str:
        """Move the finished file into place; returns the path."""
        self.finish()
        self._out.commit()
        return self.path

    def close(self) -> str:
        """Finish and publish (``finish()`` then ``commit()``); returns the path."""
        return self.commit()

    def abort(self) -> None:
        """Stop (frames still queued are dropped, not encoded) and delete the partial file (an
        earlier file at ``path`` is left as it was)."""
        self._dropping = True
        self._stop()
        try:
            if not self._finished:
                self._finished = True
                self._c.close()
        except Exception:  # the container may be half-written; it is discarded anyway
            pass
        finally:
            self._out.discard()

    def _stop(self) -> None:
        if self._th is not None:
            self._q.put(None)
            self._th.join()
            self._th = None


def export_video(path: str, frames_iter: Iterable, audio=None, *, fps: int, sample_rate: int,
                 crf: int | None = None, preset: str = "ultrafast", progress: bool = False,
                 total_frames: int | None = None) -> dict:
    """Encode frames (an iterable of (H, W, 3|4) uint8 images) and mono audio into MP4/WebM.

    Rendering (the iterator, in the calling thread) overlaps with encoding (a worker
    thread). Returns {"path", "frames", "seconds", "render_s", "wall_s"}.
    """
    t0 = time.perf_counter()
    it = iter(frames_iter)
    w = None
    n = 0
    render_s = 0.0
    try:
        while True:
            t = time.perf_counter()
            try:
                img = next(it)
            except StopIteration:
                break
            render_s += time.perf_counter() - t
            img = np.asarray(img)
            if w is None:
                h, wd = img.shape[:2]
                w = VideoWriter(path, wd, h, fps=fps, sample_rate=sample_rate, crf=crf, preset=preset,
                                progress=progress, total_frames=total_frames)
                if audio is not None:
                    w.add_audio(audio)
            w.add_frame(img, copy=False)
            n += 1
        if w is None:
            raise PsigraphError("no frames to export", where=str(path))
        w.close()
    except BaseException:
        if w is not None:
            w.abort()
        raise
    return {"path": str(path), "frames": n, "seconds": n / fps, "render_s": render_s,
            "wall_s": time.perf_counter() - t0}


def probe(path: str) -> dict:
    """Decode a file fully; per stream: start time, decoded duration (s) and frame/sample count."""
    import av
    out = {}
    with av.open(str(path)) as c:
        for s in c.streams:
            out[s.type] = {"codec": s.codec_context.name, "start": float(s.start_time * s.time_base)
                           if s.start_time is not None else 0.0, "count": 0, "first_pts": None}
        for fr in c.decode(*c.streams):
            kind = "video" if fr.__class__.__name__ == "VideoFrame" else "audio"
            d = out[kind]
            if d["first_pts"] is None and fr.pts is not None:
                d["first_pts"] = float(fr.pts * fr.time_base)
            d["count"] += fr.samples if kind == "audio" else 1
            if kind == "audio":
                d["rate"] = fr.sample_rate
            else:
                d["rate"] = float(c.streams.video[0].average_rate or 0)
        for kind, d in out.items():
            d["duration"] = d["count"] / d["rate"] if d.get("rate") else 0.0
    return out
