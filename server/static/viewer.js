// psigraph viewer: WebAudio playback + WebGL face, both scheduled on the audio clock.
// Protocol: docs/SERVER.md. The mesh, camera and shaders come from /mesh.bin (the offline renderer's).
// window.psigraphStats exposes what the browser test reads (offset between audio time and the
// displayed frame, frames shown, chunks played).
"use strict";
(function () {
  const LEAD_S = 0.15;                    // audio is scheduled this far ahead of its arrival
  const stats = window.psigraphStats = {
    state: "loading", error: "", gl: "", framesReceived: 0, framesShown: 0, audioChunks: 0, lateChunks: 0,
    samples: 0, offsetsMs: [], maxAbsOffsetMs: 0, meanAbsOffsetMs: 0, frameMs: 1000 / 60, streams: 0,
  };
  const $ = (id) => document.getElementById(id);
  const statusEl = $("status");
  const setStatus = (s) => { statusEl.textContent = s; };
  const fail = (msg) => { stats.state = "error"; stats.error = String(msg); setStatus("error: " + msg); };

  // ------------------------------------------------------------------ float16
  const f16 = (() => {
    const table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
      table[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
    return (u16) => { const out = new Float32Array(u16.length); for (let i = 0; i < u16.length; i++) out[i] = table[u16[i]]; return out; };
  })();

  // ------------------------------------------------------------------ mesh
  async function loadMesh() {
    const buf = await (await fetch("/mesh.bin")).arrayBuffer();
    const dv = new DataView(buf);
    const magic = String.fromCharCode(...new Uint8Array(buf, 0, 4));
    if (magic !== "PSGM") throw new Error("not a psigraph mesh");
    const n = dv.getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 12, n)));
    const base = 12 + n, a = {};
    for (const [name, t] of Object.entries(header.arrays)) {
      const count = t.shape.reduce((x, y) => x * y, 1), off = base + t.offset, kind = t.dtype.slice(1);
      const slice = buf.slice(off, off + count * parseInt(kind.slice(1), 10));
      a[name] = kind === "f4" ? new Float32Array(slice) : kind === "u4" ? new Uint32Array(slice)
        : kind === "f2" ? f16(new Uint16Array(slice)) : new Uint8Array(slice);
    }
    return { header, a };
  }

  // ------------------------------------------------------------------ matrices (column-major for GL)
  function perspective(fovy, aspect, near, far) {
    const f = 1 / Math.tan(fovy * Math.PI / 360);
    return [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) / (near - far), -1, 0, 0, 2 * far * near / (near - far), 0];
  }
  const sub = (p, q) => [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
  const cross = (p, q) => [p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]];
  const norm = (p) => { const l = Math.hypot(p[0], p[1], p[2]); return [p[0] / l, p[1] / l, p[2] / l]; };
  const dot = (p, q) => p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
  function lookAt(eye, target) {
    const f = norm(sub(target, eye)), s = norm(cross(f, [0, 1, 0])), u = cross(s, f);
    return [s[0], u[0], -f[0], 0, s[1], u[1], -f[1], 0, s[2], u[2], -f[2], 0, -dot(s, eye), -dot(u, eye), dot(f, eye), 1];
  }
  function rotation(pitch, yaw, roll) {        // R = Ry Rx Rz, row-major 3x3
    const cx = Math.cos(pitch), sx = Math.sin(pitch), cy = Math.cos(yaw), sy = Math.sin(yaw), cz = Math.cos(roll), sz = Math.sin(roll);
    const rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx], ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy], rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
    const mul = (A, B) => { const C = new Array(9).fill(0); for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) C[3 * i + j] += A[3 * i + k] * B[3 * k + j]; return C; };
    return mul(mul(ry, rx), rz);
  }

  // ------------------------------------------------------------------ face renderer
  function toES3(src, frag) {
    let s = src.replace(/\battribute\b/g, "in").replace(/\bvarying\b/g, frag ? "in" : "out");
    if (frag) s = "precision highp float;\nout vec4 psg_FragColor;\n" + s.replace(/\bgl_FragColor\b/g, "psg_FragColor");
    return "#version 300 es\n" + s;
  }

  class Face {
    constructor(canvas, mesh) {
      const gl = canvas.getContext("webgl2", { antialias: false, preserveDrawingBuffer: true });
      if (!gl) throw new Error("WebGL 2 is not available");
      this.gl = gl;
      stats.gl = gl.getParameter(gl.VERSION);
      const h = mesh.header, a = mesh.a;
      this.h = h; this.a = a;
      this.base = a.vertices; this.pos = new Float32Array(a.vertices.length); this.nrm = new Float32Array(a.vertices.length);
      this.faces = a.faces; this.V = a.vertices.length / 3;
      this.prog = this.program(toES3(h.shaders.vert, false), toES3(h.shaders.frag, true));
      gl.useProgram(this.prog);
      this.vbPos = this.attr("a_pos", this.base, 3, gl.DYNAMIC_DRAW);
      this.vbNrm = this.attr("a_nrm", this.nrm, 3, gl.DYNAMIC_DRAW);
      this.attr("a_col", a.colors, 3, gl.STATIC_DRAW);
      this.attr("a_mat", a.material instanceof Float32Array ? a.material : Float32Array.from(a.material), 1, gl.STATIC_DRAW);
      this.attr("a_rest", this.base, 3, gl.STATIC_DRAW);     // rest pose: hair strands, T-zone, lashes stay on the head
      const ib = gl.createBuffer();
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, ib);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, this.faces, gl.DYNAMIC_DRAW);
      this.kept = new Uint32Array(this.faces.length);          // this frame's faces (see visibleFaces)
      this.camera = null;
      this.useCamera(h.display_camera || h.camera);
      gl.uniform1f(gl.getUniformLocation(this.prog, "u_lipz"), h.lip_z);
      if (h.lid_rgb) this.vec("u_lid", h.lid_rgb);
      if (h.shirt) { this.vec("u_shirt", h.shirt); this.vec("u_asset", h.asset); }   // the collar, drawn per pixel
      this.bg = h.camera.background;
      this.shapeIndex = new Map(h.shape_names.map((n, i) => [n, i]));
      this.cols = null;
      this.smooth = true;           // 4× multisampling while speaking; psigraphDrawRow draws single-sampled like face_render
    }
    // the camera of the next draws: face_render's (h.camera) or the viewer's wider framing (h.display_camera)
    useCamera(c) {
      if (c === this.camera) return;
      const el = c.elevation * Math.PI / 180, az = c.azimuth * Math.PI / 180, canvas = this.gl.canvas;
      this.eye = [c.target[0] + c.distance * Math.sin(az) * Math.cos(el), c.target[1] + c.distance * Math.sin(el),
        c.target[2] + c.distance * Math.cos(az) * Math.cos(el)];
      this.uniform("u_proj", c.proj || perspective(c.fov, canvas.width / canvas.height, 1.0, 40.0));
      this.uniform("u_view", c.view || lookAt(this.eye, c.target));
      this.camera = c;
    }
    program(vs, fs) {
      const gl = this.gl, p = gl.createProgram();
      for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]]) {
        const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s);
        if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error("shader: " + gl.getShaderInfoLog(s));
        gl.attachShader(p, s);
      }
      gl.linkProgram(p);
      if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error("link: " + gl.getProgramInfoLog(p));
      return p;
    }
    attr(name, data, size, usage) {
      const gl = this.gl, loc = gl.getAttribLocation(this.prog, name), b = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, b); gl.bufferData(gl.ARRAY_BUFFER, data, usage);
      if (loc >= 0) { gl.enableVertexAttribArray(loc); gl.vertexAttribPointer(loc, size, gl.FLOAT, false, 0, 0); }
      return b;
    }
    uniform(name, m) { this.gl.uniformMatrix4fv(this.gl.getUniformLocation(this.prog, name), false, new Float32Array(m)); }
    vec(name, v) {
      const loc = this.gl.getUniformLocation(this.prog, name);
      if (loc) (v.length === 4 ? this.gl.uniform4fv : this.gl.uniform3fv).call(this.gl, loc, new Float32Array(v));
    }
    // the shader's per-frame lighting uniforms, as FaceRenderer.prepare makes them: the inner-lip
    // opening (render.mouth_opening) and the corneas' centres (deform.HeadPoser.cornea_centers)
    lighting(angles, R) {
      const h = this.h, a = this.a, p = this.pos;
      if (!h.still_mouth) return;
      let mouth = h.still_mouth, lipz = h.lip_z;
      if (a.mouth_corners && a.lip_pairs) {
        const x0 = p[3 * a.mouth_corners[0]], x1 = p[3 * a.mouth_corners[1]], lp = a.lip_pairs;
        let up = 0, low = 0, z = 0;
        for (let k = 0; k + 1 < lp.length; k += 2) {
          up += p[3 * lp[k] + 1]; low += p[3 * lp[k + 1] + 1]; z += p[3 * lp[k] + 2] + p[3 * lp[k + 1] + 2];
        }
        up /= lp.length / 2; low /= lp.length / 2; lipz = z / lp.length;
        mouth = [0.5 * (x0 + x1), 0.5 * (up + low), 0.5 * Math.abs(x1 - x0), Math.max(0.5 * (up - low), h.min_half_gap)];
      }
      this.vec("u_mouth", mouth);
      this.gl.uniform1f(this.gl.getUniformLocation(this.prog, "u_lipz"), lipz);     // the inner lips' depth
      const piv = h.pivot, nw = a.neck_weight;
      for (const side of ["L", "R"]) {
        const c0 = h.eye_center[side], ax = h.eye_axis && h.eye_axis[side];
        if (!c0) continue;
        const c = c0.slice();
        if (ax) {
          const [yaw, pitch] = angles[side] || [0, 0], G = rotation(-pitch * Math.PI / 180, yaw * Math.PI / 180, 0);
          for (let i = 0; i < 3; i++) c[i] += h.cornea_offset * (G[3 * i] * ax[0] + G[3 * i + 1] * ax[1] + G[3 * i + 2] * ax[2]);
        }
        const ix = a["eye_" + side];
        if (nw && ix && ix.length) {
          const w = nw[ix[0]], d = [c[0] - piv[0], c[1] - piv[1], c[2] - piv[2]];
          const m = [0, 1, 2].map((i) => R[3 * i] * d[0] + R[3 * i + 1] * d[1] + R[3 * i + 2] * d[2] - d[i]);
          for (let i = 0; i < 3; i++) c[i] += w * m[i];
        }
        this.vec("u_eye" + side, c);
      }
    }
    setNames(names) {                                  // the start message's blendshape order
      this.col = new Map(names.map((n, i) => [n, i]));
      this.cols = this.h.shape_names.map((n) => (this.col.has(n) ? this.col.get(n) : -1));
    }
    // shape weights of one row, as psigraph.nodes.face.mixing.mix_weights and HeadPoser.weights:
    // w = mix @ row, each squint times (1 − its eye's blink), then clipped to [−0.2, 1.2]
    weights(row) {
      const S = this.cols.length, raw = new Float64Array(S), w = new Float32Array(S), mix = this.a.shape_mix;
      for (let s = 0; s < S; s++) raw[s] = this.cols[s] < 0 ? 0 : row[this.cols[s]];
      if (mix) {
        const mixed = new Float64Array(S);
        for (let i = 0; i < S; i++) { let acc = 0; for (let j = 0; j < S; j++) if (raw[j]) acc += mix[i * S + j] * raw[j]; mixed[i] = acc; }
        const bp = this.a.blink_pairs || [];
        for (let k = 0; k + 1 < bp.length; k += 2) mixed[bp[k]] *= 1 - Math.min(Math.max(mixed[bp[k + 1]], 0), 1);
        raw.set(mixed);
      }
      for (let s = 0; s < S; s++) w[s] = Math.min(1.2, Math.max(-0.2, raw[s]));
      return w;
    }
    // one row → vertices, as psigraph.nodes.face.deform.HeadPoser poses them (shapes with the lids
    // following the gaze, eyeballs rotated, head pose blended by neck_weight or rigid)
    draw(row) {
      const gl = this.gl, a = this.a, h = this.h, pos = this.pos, col = this.col;
      pos.set(this.base);
      let M = [1, 0, 0, 0, 1, 0, 0, 0, 1], T = [0, 0, 0], Rh = M;
      const angles = {};
      if (row && this.cols) {
        const g = (n) => (col.has(n) ? row[col.get(n)] : 0), gz = h.gaze;
        const w = this.weights(row), S = w.length;
        for (const side of ["L", "R"]) {
          const lookX = g("eyeLookOut_" + side) - g("eyeLookIn_" + side);
          const yaw = gz.yaw * g("gazeX") + gz.look_h * (side === "L" ? lookX : -lookX);
          const pitch = gz.pitch * g("gazeY") + gz.look_v * (g("eyeLookUp_" + side) - g("eyeLookDown_" + side));
          angles[side] = [yaw, pitch];
          if (gz.lids) {
            const out = side === "L" ? yaw : -yaw, clip = (x) => Math.min(1.2, Math.max(0, x));
            for (const [n, v] of [["eyeLookOut_", out / gz.look_h], ["eyeLookIn_", -out / gz.look_h],
              ["eyeLookUp_", pitch / gz.look_v], ["eyeLookDown_", -pitch / gz.look_v]]) {
              const k = this.shapeIndex.get(n + side); if (k !== undefined) w[k] = clip(v);
            }
          }
        }
        const ic = this.shapeIndex.get("mouthClose"), ij = this.shapeIndex.get("jawOpen");
        if (ic !== undefined && ij !== undefined) w[ic] *= Math.max(w[ij], 0);     // as HeadModel.pose
        const ptr = a.shape_ptr, idx = a.delta_index, d = a.delta;
        for (let s = 0; s < S; s++) {
          const ws = w[s]; if (!ws) continue;
          for (let k = ptr[s]; k < ptr[s + 1]; k++) { const v = 3 * idx[k]; pos[v] += ws * d[3 * k]; pos[v + 1] += ws * d[3 * k + 1]; pos[v + 2] += ws * d[3 * k + 2]; }
        }
        for (const side of ["L", "R"]) {
          const [yaw, pitch] = angles[side], ix = a["eye_" + side], c = h.eye_center[side];
          if (!ix || !c || (!yaw && !pitch)) continue;
          const R = rotation(-pitch * Math.PI / 180, yaw * Math.PI / 180, 0);
          for (let k = 0; k < ix.length; k++) {
            const v = 3 * ix[k], x = pos[v] - c[0], y = pos[v + 1] - c[1], z = pos[v + 2] - c[2];
            pos[v] = R[0] * x + R[1] * y + R[2] * z + c[0]; pos[v + 1] = R[3] * x + R[4] * y + R[5] * z + c[1]; pos[v + 2] = R[6] * x + R[7] * y + R[8] * z + c[2];
          }
        }
        const R = rotation(g("headPitch"), g("headYaw"), g("headRoll")), p = h.pivot, nw = a.neck_weight;
        Rh = R;
        if (!nw) { M = R; T = [0, 1, 2].map((i) => p[i] - (R[3 * i] * p[0] + R[3 * i + 1] * p[1] + R[3 * i + 2] * p[2])); }
        else if (R[0] !== 1 || R[4] !== 1 || R[8] !== 1) {
          for (let v = 0, i = 0; v < pos.length; v += 3, i++) {
            const x = pos[v] - p[0], y = pos[v + 1] - p[1], z = pos[v + 2] - p[2], wv = nw[i];
            pos[v] += wv * (R[0] * x + R[1] * y + R[2] * z + p[0] - pos[v]);
            pos[v + 1] += wv * (R[3] * x + R[4] * y + R[5] * z + p[1] - pos[v + 1]);
            pos[v + 2] += wv * (R[6] * x + R[7] * y + R[8] * z + p[2] - pos[v + 2]);
          }
        }
      }
      this.uniform("u_model", [M[0], M[3], M[6], 0, M[1], M[4], M[7], 0, M[2], M[5], M[8], 0, T[0], T[1], T[2], 1]);
      this.lighting(angles, Rh);
      this.normals();
      const count = this.visibleFaces(M, T);
      gl.bufferSubData(gl.ELEMENT_ARRAY_BUFFER, 0, this.kept, 0, count);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.vbPos); gl.bufferSubData(gl.ARRAY_BUFFER, 0, pos);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.vbNrm); gl.bufferSubData(gl.ARRAY_BUFFER, 0, this.nrm);
      const W = gl.canvas.width, H = gl.canvas.height, msaa = this.smooth ? this.msaaTarget(W, H) : null;
      gl.bindFramebuffer(gl.FRAMEBUFFER, msaa);          // null: straight to the canvas
      gl.viewport(0, 0, W, H);
      gl.enable(gl.DEPTH_TEST);
      gl.clearColor(this.bg[0], this.bg[1], this.bg[2], 1); gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      gl.drawElements(gl.TRIANGLES, count, gl.UNSIGNED_INT, 0);
      if (msaa) {                                        // resolve the samples into the canvas
        gl.bindFramebuffer(gl.READ_FRAMEBUFFER, msaa); gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, null);
        gl.blitFramebuffer(0, 0, W, H, 0, 0, W, H, gl.COLOR_BUFFER_BIT, gl.NEAREST);
        gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      }
    }
    // a multisampled framebuffer of the canvas's size (anti-aliased edges: ears, jaw, hairline), or
    // null where the context offers no multisampling
    msaaTarget(W, H) {
      const gl = this.gl;
      if (this.msaa && this.msaa.w === W && this.msaa.h === H) return this.msaa.fb;
      const samples = Math.min(4, gl.getParameter(gl.MAX_SAMPLES) || 0);
      if (samples < 2) return null;
      const fb = gl.createFramebuffer(), color = gl.createRenderbuffer(), depth = gl.createRenderbuffer();
      gl.bindRenderbuffer(gl.RENDERBUFFER, color);
      gl.renderbufferStorageMultisample(gl.RENDERBUFFER, samples, gl.RGBA8, W, H);
      gl.bindRenderbuffer(gl.RENDERBUFFER, depth);
      gl.renderbufferStorageMultisample(gl.RENDERBUFFER, samples, gl.DEPTH_COMPONENT24, W, H);
      gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
      gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, color);
      gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, depth);
      const ok = gl.checkFramebufferStatus(gl.FRAMEBUFFER) === gl.FRAMEBUFFER_COMPLETE;
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      this.msaa = ok ? { w: W, h: H, fb } : { w: W, h: H, fb: null };
      return this.msaa.fb;
    }
    // the faces FaceRenderer.prepare keeps: cullable faces turned away from the camera are dropped,
    // and the mouth interior while the lips are shut; fills this.kept, returns its length
    visibleFaces(M, T) {
      const p = this.pos, F = this.faces, fn = this.fnrm, cull = this.a.cullable, h = this.h;
      const e = [0, 1, 2].map((i) => M[i] * (this.eye[0] - T[0]) + M[3 + i] * (this.eye[1] - T[1]) + M[6 + i] * (this.eye[2] - T[2]));
      const lp = this.a.lip_pairs;
      let shut = !!(lp && this.a.interior);
      for (let k = 0; shut && k + 1 < lp.length; k += 2) shut = p[3 * lp[k] + 1] - p[3 * lp[k + 1] + 1] < h.shut_gap;
      const inner = shut ? this.a.interior : null;
      let n = 0;
      for (let f = 0, i = 0; f < F.length; f += 3, i++) {
        if (inner && inner[i]) continue;
        if (cull && cull[i]) {
          const a = 3 * F[f];
          if (fn[f] * (e[0] - p[a]) + fn[f + 1] * (e[1] - p[a + 1]) + fn[f + 2] * (e[2] - p[a + 2]) <= 0) continue;
        }
        this.kept[n++] = F[f]; this.kept[n++] = F[f + 1]; this.kept[n++] = F[f + 2];
      }
      return n;
    }
    finish() { const px = new Uint8Array(4); this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, px); }
    normals() {                                       // area-weighted face normals summed per vertex
      const p = this.pos, n = this.nrm, F = this.faces; n.fill(0);
      const fn = this.fnrm || (this.fnrm = new Float32Array(F.length));     // face normals (culling)
      for (let f = 0; f < F.length; f += 3) {
        const a = 3 * F[f], b = 3 * F[f + 1], c = 3 * F[f + 2];
        const ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2], vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        const x = uy * vz - uz * vy, y = uz * vx - ux * vz, z = ux * vy - uy * vx;
        fn[f] = x; fn[f + 1] = y; fn[f + 2] = z;
        n[a] += x; n[a + 1] += y; n[a + 2] += z; n[b] += x; n[b + 1] += y; n[b + 2] += z; n[c] += x; n[c + 1] += y; n[c + 2] += z;
      }
      for (let v = 0; v < n.length; v += 3) { const l = Math.hypot(n[v], n[v + 1], n[v + 2]) || 1; n[v] /= l; n[v + 1] /= l; n[v + 2] /= l; }
    }
  }

  // ------------------------------------------------------------------ streaming
  let face = null, ws = null, audio = null, cur = null, nextId = 1;

  function connect(token) {
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", token);
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { stats.state = "ready"; setStatus("ready"); $("token").classList.add("hidden"); };
    ws.onclose = (e) => { if (stats.state !== "error") { stats.state = "closed"; setStatus("disconnected (" + e.code + ") — check the token"); } };
    ws.onmessage = (e) => (typeof e.data === "string" ? onText(JSON.parse(e.data)) : onBinary(e.data));
  }

  function onText(m) {
    if (m.type === "start") {
      face.setNames(m.blendshapes);
      cur = { id: m.id, master: m.master_rate, rate: m.sample_rate, period: m.frame_period || Math.round(m.master_rate / m.frame_rate),
        frames: new Map(), t0: null, ended: false, samples: 0, lastShown: -1 };
      stats.frameMs = 1000 / m.frame_rate; stats.state = "speaking"; stats.streams += 1; setStatus("speaking");
    } else if (m.type === "end" && cur && m.id === cur.id) {
      cur.ended = true; cur.total = m.samples;
    } else if (m.type === "error") {
      setStatus("error: " + m.message); stats.error = m.message;
    }
  }

  function onBinary(buf) {
    if (!cur) return;
    const dv = new DataView(buf), kind = dv.getUint8(0), index = Number(dv.getBigUint64(1, true));
    if (kind === 1) {
      const pcm = new Int16Array(buf.slice(9)), ab = audio.createBuffer(1, pcm.length, cur.rate), ch = ab.getChannelData(0);
      for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
      if (cur.t0 === null) cur.t0 = audio.currentTime + LEAD_S - index / cur.master;   // anchored on the first chunk
      const when = cur.t0 + index / cur.master;
      if (when < audio.currentTime) stats.lateChunks += 1;
      const src = audio.createBufferSource(); src.buffer = ab; src.connect(audio.destination); src.start(when);
      cur.samples = Math.max(cur.samples, index + pcm.length); stats.audioChunks += 1; stats.samples += pcm.length;
    } else if (kind === 2) {
      cur.frames.set(index / cur.period, f16(new Uint16Array(buf.slice(9)))); stats.framesReceived += 1;
    }
  }

  // the listener's clock: the audio context's time, refined between its render quanta
  function audioNow() {
    if (audio.getOutputTimestamp) {
      const ts = audio.getOutputTimestamp();
      if (ts.contextTime > 0 && ts.performanceTime > 0) return ts.contextTime + (performance.now() - ts.performanceTime) / 1000;
    }
    return audio.currentTime;
  }

  // Each animation frame draws the blendshape frame nearest to the audio being heard (the output
  // timestamp: what leaves the speaker now). The offset recorded is that frame's time minus the
  // audio time at this animation frame; the time the draw itself takes is reported apart (drawMs:
  // a GPU takes ~1 ms, SwiftShader on a busy CPU far more).
  function tick() {
    if (cur && audio && cur.t0 !== null) {
      const t = audioNow(), end = cur.ended ? cur.total : cur.samples;
      const pos = (t - cur.t0) * cur.master;                            // master samples heard so far
      if (pos >= 0 && pos < end) {
        let j = Math.round(pos / cur.period);
        while (j >= 0 && !cur.frames.has(j)) j--;                        // not arrived: the newest before it
        if (j >= 0 && j !== cur.lastShown) {
          const off = (j * cur.period - pos) / cur.master * 1000, c0 = performance.now();
          face.draw(cur.frames.get(j)); face.finish();
          const ms = performance.now() - c0;
          stats.drawMs = stats.drawMs ? 0.9 * stats.drawMs + 0.1 * ms : ms;
          cur.lastShown = j; stats.framesShown += 1;
          stats.offsetsMs.push(off); if (stats.offsetsMs.length > 4000) stats.offsetsMs.shift();
          const absOff = stats.offsetsMs.map(Math.abs);
          stats.maxAbsOffsetMs = Math.max(...absOff); stats.meanAbsOffsetMs = absOff.reduce((x, y) => x + y, 0) / absOff.length;
        }
        for (const k of cur.frames.keys()) if (k < j - 2) cur.frames.delete(k);
      } else if (cur.ended && pos >= end) {
        stats.state = "done"; setStatus("done"); cur = null;
      }
      $("stats").textContent = `frames ${stats.framesShown}/${stats.framesReceived} · audio chunks ${stats.audioChunks} · ` +
        `offset max ${stats.maxAbsOffsetMs.toFixed(1)} ms (one frame ${stats.frameMs.toFixed(1)} ms) · draw ${(stats.drawMs || 0).toFixed(0)} ms`;
    }
    requestAnimationFrame(tick);
  }

  function say(text) {
    if (!ws || ws.readyState !== WebSocket.OPEN) { setStatus("not connected"); return; }
    if (!audio) audio = new AudioContext();
    audio.resume();
    ws.send(JSON.stringify({ type: "say", text, id: "v" + nextId++ }));
  }
  window.psigraphSay = say;
  // draw one row given by names → values (tests compare it with the offline renderer): on face_render's
  // default camera and single-sampled, as face_render draws at ssaa 1, so the two compare pixel for pixel
  window.psigraphDrawRow = (names, values) => {
    face.setNames(names); face.smooth = false; face.useCamera(face.h.camera); face.draw(Float32Array.from(values)); face.finish();
    face.smooth = true; face.useCamera(face.h.display_camera || face.h.camera); return $("face").toDataURL("image/png");
  };

  async function main() {
    try {
      const mesh = await loadMesh();
      face = new Face($("face"), mesh);
      face.draw(null);
      audio = new AudioContext();
    } catch (e) { fail(e.message || e); return; }
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
    if (fromHash) { $("token").value = fromHash; connect(fromHash); } else { stats.state = "token"; setStatus("enter the token"); }
    $("token").addEventListener("change", () => connect($("token").value.trim()));
    $("say-form").addEventListener("submit", (e) => { e.preventDefault(); say($("text").value); });
    $("cancel").addEventListener("click", () => ws && ws.send(JSON.stringify({ type: "cancel" })));
    requestAnimationFrame(tick);
  }
  main();
})();
