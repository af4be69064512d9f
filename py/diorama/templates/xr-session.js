// The headset view: the photo on screen as a window into its scene, placed in front of the person, drawn for
// each eye by the 2D view's own program with the same textures and settings (viewer.scene: the page's
// render/shaders.js `fragment`, its `march` chunk; the single-file 3D photo's own fragment around the same chunk).
// One source for both: py/diorama/templates/xr-session.js is dist/xr/session.js (build.py), imported only when a
// session starts (xr-offer.js), and photo_3d_html (py/diorama/photo3d.py) puts it into the 3D photo file. So it
// imports nothing: everything it draws comes with the scene.
//
// Each eye: the photo is a quad in the room (model matrix: where it was placed or moved, and its scale), drawn
// with the XR view's projection and view; the march displaces the photo inside the quad by the eye's own
// position. Seen from an eye at e (in the photo's frame: x right, y up, z toward the viewer, the quad at z = 0,
// metres), a surface of depth d lies RELIEF * strength * (focus - d) = k (focus - d) behind the quad; to first
// order in that depth over the eye's distance e.z the quad's point uv then shows the photo at
//   uv + [ (k / e.z) (e.x, -e.y) / photo size  -  (uv - 0.5) k / e.z ] (d - focus),
// which is exactly the march's `shift = uShift - (uv - 0.5) * uZoom.x`: uShift = (k / e.z) (e.x, -e.y) / size,
// uZoom = (k / e.z, 0). Both eyes, any head movement, one formula: stereo and motion parallax as a window shows
// them, the focus depth staying on the quad. One draw call per eye (the quad), at most MAX_STEPS march layers
// (the march picks them from uShift and uZoom) and 5 bisection steps per pixel and layer, as on the page.
//
// Placing it: DISTANCE ahead of the eyes when the session starts. In AR, where the browser grants hit testing
// (xr-offer.js asks for 'hit-test' as an optional feature), the first place where the ray straight ahead of the
// viewer meets a surface (a wall, a table, the floor) takes it there instead, upright and facing the person: on a
// wall its centre is the hit point, on something level it stands on it. Grabbing it first keeps it in the hand.
//
// Controls: squeeze (controller grip) grabs the photo and moves it with the hand; squeezing with both hands
// scales it by their distance; a thumbstick pushed forward or back scales it; select (trigger) ends the
// session. A transient pointer (a pinch on Vision Pro) grabs while it is held.

/** Distance of the photo from the eyes when the session starts, m. */
const DISTANCE = 1.5;
/** The photo's long side when it is placed, m (a large picture at that distance: about 44 degrees). */
const LONG_SIDE = 1.2;
/** Depth in metres of one unit of the depth map at strength 1; at the default 0.5, a depth range of 1 spans
 * 0.3 m: from 1.35 to 1.65 m at the default focus (0.5). At strength 1 (0.6 m: 1.2 to 1.8 m) the vergence
 * differs from the quad's by at most 0.17 dioptres, inside the zone the eyes fuse comfortably (about 0.3 D). */
const RELIEF = 0.6;
/** Scale limits (times the placed size) and the thumbstick's rate (e-fold per second at full tilt). */
const MIN_SCALE = 0.2;
const MAX_SCALE = 5;
const STICK_RATE = 1;
/** A surface whose normal is within this angle's cosine of straight up is level: the photo stands on it. */
const LEVEL = Math.cos(Math.PI / 4);
/** Nearest an eye may be to the quad's plane in the march's terms, m: an eye beside or behind the quad sees it
 * edge-on or mirrored, and the displacement must stay finite. */
const MIN_EYE_DISTANCE = 0.1;

// The quad (photo uv corners, y down) at its size in metres, centred, facing +z.
const vertex = `#version 300 es
in vec2 aPosition;
out vec2 vPhotoUv;
uniform mat4 uClip;        // projection * view * model
uniform vec2 uSize;        // the quad's size, m
uniform float uOverscan;   // as the page: the photo's border is kept for displaced samples, not shown
void main(void)
{
    vPhotoUv = 0.5 + (aPosition - 0.5) / uOverscan;
    gl_Position = uClip * vec4((aPosition.x - 0.5) * uSize.x, (0.5 - aPosition.y) * uSize.y, 0.0, 1.0);
}
`;

/**
 * Run an XR session on the viewer's scene until it ends (by the person, select, end() or the system).
 * viewer.scene (read every frame; null before a photo): {fragment (GLSL ES 3.00: `in vec2 vPhotoUv` (0..1 over
 * the photo, y down), `out vec4 finalColor`, uniforms uShift, uZoom, uFocus, uDepthRange (vec2) and its
 * samplers), textures ({sampler name: source}; a source: {resource (bytes or an image), width, height, scaleMode
 * ('nearest' or linear), autoGenerateMipmaps, alphaMode, data (no colour conversion)}, uploaded again when it
 * changes identity), uniforms (more vec2s: {name: [x, y]}), width, height (the photo's), strength, focus, near,
 * far, flat, overscan}.
 * Resolves once the first frame is set up; the state object (xr-offer.js `xr`) gets frames, views (the last
 * frame's, per eye: eye, viewport, position (m, room), eyeInPhoto (m, the photo's frame), shift, zoom: the
 * march's uShift and uZoom), pose ({position, scale}), placement ('ahead', or 'surface' once a hit test placed
 * it), photo ({width, height} drawn), capture() (a promise of the next frame's pixels per eye: [{eye, width,
 * height, data}] RGBA, bottom row first), timeFrames(n) (benchmarks: the median ms of the next n frames, each
 * from its start until the GPU has drawn both eyes) and end().
 */
export async function runSession(session, { viewer, state, onEnd }) {
  const canvas = document.createElement('canvas');
  const gl = canvas.getContext('webgl2', { xrCompatible: true, antialias: false, depth: false, alpha: true });
  if (!gl) throw new Error('WebGL 2 is not available for the headset.');
  let draw = null; // the scene's program, made at its first frame
  const textures = new Map(); // source -> WebGL texture
  const ar = state.mode === 'immersive-ar';
  const grabs = new Map(); // input source -> {offset: rigid 4x4 of the photo in the hand} (one hand)
  let space;
  let model = null; // rigid 4x4 (rotation + translation), room space
  let scale = 1;
  let pair = null; // both hands grabbing: {distance, scale, mid, position}
  let captures = [];
  let timing = null; // timeFrames(): {left, times, resolve}
  let last = 0;
  let hitSource = null; // AR: the viewer's hit-test ray until the photo is placed on a surface

  await session.updateRenderState({ baseLayer: new XRWebGLLayer(session, gl, { antialias: false }) });
  space = await session.requestReferenceSpace('local');
  if (ar && session.requestHitTestSource) {
    // not awaited: the photo shows ahead meanwhile; refused (no hit-test feature, no surfaces), it stays there
    session.requestReferenceSpace('viewer').then((viewerSpace) => session.requestHitTestSource({ space: viewerSpace }))
      .then((source) => { hitSource = source; }, () => {});
  }

  const gripPose = (source, frame) => frame.getPose(source.gripSpace ?? source.targetRaySpace, space)?.transform.matrix;
  // Re-anchor every grabbing hand on the photo as it is now (a hand joined or let go).
  const anchor = (frame) => {
    pair = null;
    const hands = [...grabs.keys()].map((source) => [source, gripPose(source, frame)]).filter(([, m]) => m);
    for (const [source, grip] of hands) grabs.set(source, { offset: multiply(rigidInverse(grip), model) });
    if (hands.length >= 2) {
      const [a, b] = hands.map(([, m]) => m.slice(12, 15));
      pair = { distance: distance(a, b), scale, mid: midpoint(a, b), position: model.slice(12, 15) };
    }
  };
  const grab = (event) => { if (model) { grabs.set(event.inputSource, null); anchor(event.frame); } };
  const release = (event) => { if (grabs.delete(event.inputSource) && model) anchor(event.frame); };
  const transient = (event) => event.inputSource.targetRayMode === 'transient-pointer';

  session.addEventListener('squeezestart', grab);
  session.addEventListener('squeezeend', release);
  session.addEventListener('selectstart', (event) => { if (transient(event)) grab(event); });
  session.addEventListener('selectend', (event) => { if (transient(event)) release(event); });
  session.addEventListener('select', (event) => { if (!transient(event)) session.end().catch(() => {}); });
  session.addEventListener('end', () => {
    for (const texture of textures.values()) gl.deleteTexture(texture);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    for (const { reject } of captures) reject(new Error('The session ended.'));
    onEnd();
  }, { once: true });

  const move = (frame, seconds) => {
    const hands = [...grabs.entries()].filter(([, grip]) => grip);
    if (pair && hands.length >= 2) {
      const [a, b] = hands.slice(0, 2).map(([source]) => gripPose(source, frame)?.slice(12, 15));
      if (a && b) {
        const ratio = clamp(pair.scale * distance(a, b) / pair.distance, MIN_SCALE, MAX_SCALE) / pair.scale;
        const mid = midpoint(a, b);
        scale = pair.scale * ratio;
        for (let i = 0; i < 3; i++) model[12 + i] = mid[i] + (pair.position[i] - pair.mid[i]) * ratio;
      }
    } else if (hands.length === 1) {
      const [source, { offset }] = hands[0];
      const grip = gripPose(source, frame);
      if (grip) model = multiply(grip, offset);
    }
    for (const source of session.inputSources) {
      const stick = source.gamepad?.axes[3] ?? 0; // xr-standard: thumbstick y, forward < 0
      if (Math.abs(stick) > 0.1) scale = clamp(scale * Math.exp(-stick * STICK_RATE * seconds), MIN_SCALE, MAX_SCALE);
    }
  };

  const onFrame = (time, frame) => {
    session.requestAnimationFrame(onFrame);
    const viewerPose = frame.getViewerPose(space);
    const scene = viewer.scene;
    if (!viewerPose || !scene) return;
    const started = performance.now();
    draw ??= makeProgram(gl, scene.fragment);
    const size = quadSize(scene);
    model ??= placeInFront(viewerPose.transform);
    if (hitSource) {
      const hit = grabs.size ? null : frame.getHitTestResults(hitSource)[0]?.getPose(space);
      if (hit) {
        model = placeOnSurface(hit.transform, viewerPose.transform, size[1] * scale);
        state.placement = 'surface';
      }
      if (hit || grabs.size) { hitSource.cancel(); hitSource = null; }
    }
    move(frame, last ? Math.min(0.1, (time - last) / 1000) : 0);
    last = time;
    const layer = session.renderState.baseLayer;
    gl.bindFramebuffer(gl.FRAMEBUFFER, layer.framebuffer);
    gl.disable(gl.SCISSOR_TEST);
    gl.clearColor(0.067, 0.067, 0.067, ar ? 0 : 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    bind(gl, draw, textures, scene);
    const views = viewerPose.views.map((view) => {
      const viewport = layer.getViewport(view);
      gl.viewport(viewport.x, viewport.y, viewport.width, viewport.height);
      return { eye: view.eye, viewport: { x: viewport.x, y: viewport.y, width: viewport.width, height: viewport.height },
        ...drawEye(gl, draw, view, model, scale, scene, size) };
    });
    if (timing) {
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); // waits for the GPU
      timing.times.push(performance.now() - started);
      if (timing.times.length === timing.frames) {
        timing.resolve(timing.times.sort((a, b) => a - b)[timing.frames >> 1]);
        timing = null;
      }
    }
    if (captures.length) {
      const pixels = views.map(({ eye, viewport: { x, y, width, height } }) => {
        const data = new Uint8Array(width * height * 4);
        gl.readPixels(x, y, width, height, gl.RGBA, gl.UNSIGNED_BYTE, data);
        return { eye, width, height, data };
      });
      for (const { resolve } of captures) resolve(pixels);
      captures = [];
    }
    Object.assign(state, { frames: state.frames + 1, views, photo: { width: scene.width, height: scene.height },
      pose: { position: [...model.slice(12, 15)], scale } });
  };

  Object.assign(state, {
    state: 'running', frames: 0, views: [], pose: null, photo: null, placement: 'ahead',
    capture: () => new Promise((resolve, reject) => captures.push({ resolve, reject })),
    end: () => session.end(),
    timeFrames: (frames) => new Promise((resolve) => { timing = { frames, times: [], resolve }; }),
  });
  session.requestAnimationFrame(onFrame);
}

function makeProgram(gl, fragment) {
  const compile = (type, source) => {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(shader)}`);
    return shader;
  };
  const program = gl.createProgram();
  // As PixiJS does for the page: a fragment shader without its own precision gets highp (uv of 2048 px photos).
  gl.attachShader(program, compile(gl.VERTEX_SHADER, vertex));
  gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragment.replace('#version 300 es\n', '#version 300 es\nprecision highp float;\n')));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(program)}`);
  gl.useProgram(program);
  const locations = new Map();
  const at = (name) => {
    if (!locations.has(name)) locations.set(name, gl.getUniformLocation(program, name));
    return locations.get(name);
  };
  const vao = gl.createVertexArray();
  gl.bindVertexArray(vao);
  gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
  const position = gl.getAttribLocation(program, 'aPosition');
  gl.enableVertexAttribArray(position);
  gl.vertexAttribPointer(position, 2, gl.FLOAT, false, 0, 0);
  return { program, at };
}

/** Bind the scene's textures, one unit each (uploading the sources new since the last frame, freeing the ones
 * gone), and set its own uniforms. */
function bind(gl, { at }, textures, scene) {
  const sources = Object.values(scene.textures);
  for (const [source, texture] of textures) {
    if (!sources.includes(source)) { gl.deleteTexture(texture); textures.delete(source); }
  }
  Object.entries(scene.textures).forEach(([name, source], unit) => {
    gl.activeTexture(gl.TEXTURE0 + unit);
    gl.uniform1i(at(name), unit);
    if (textures.has(source)) { gl.bindTexture(gl.TEXTURE_2D, textures.get(source)); return; }
    const texture = gl.createTexture();
    textures.set(source, texture);
    upload(gl, texture, source);
  });
  for (const [name, [x, y]] of Object.entries(scene.uniforms ?? {})) gl.uniform2f(at(name), x, y);
}

/** One of the scene's texture sources on this context, with its own sampling (linear + mipmaps or nearest). */
function upload(gl, texture, source) {
  const mipmaps = source.autoGenerateMipmaps;
  const nearest = source.scaleMode === 'nearest';
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, source.alphaMode === 'premultiply-alpha-on-upload');
  gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, source.data ? gl.NONE : gl.BROWSER_DEFAULT_WEBGL);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, source.width, source.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, source.resource);
  gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, nearest ? gl.NEAREST : mipmaps ? gl.LINEAR_MIPMAP_LINEAR : gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, nearest ? gl.NEAREST : gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  if (mipmaps && !nearest) gl.generateMipmap(gl.TEXTURE_2D);
}

/** Draw the photo for one eye; returns what it drew with (for state.views). */
function drawEye(gl, { at }, view, model, scale, scene, size) {
  const full = size.map((side) => side * scale * scene.overscan); // the whole photo (uv 0..1) in the room, m
  const position = view.transform.position;
  // the eye in the photo's frame (metres of the room, the quad at z = 0)
  const eye = transformPoint(rigidInverse(model), [position.x, position.y, position.z]);
  const k = scene.flat ? 0 : RELIEF * scale * scene.strength;
  const over = k / Math.max(eye[2], MIN_EYE_DISTANCE);
  const shift = [over * eye[0] / full[0], -over * eye[1] / full[1]];
  const zoom = [over, 0];
  const model4 = scaled(model, scale);
  gl.uniformMatrix4fv(at('uClip'), false, multiply(multiply(view.projectionMatrix, view.transform.inverse.matrix), model4));
  gl.uniform2f(at('uSize'), size[0], size[1]);
  gl.uniform1f(at('uOverscan'), scene.overscan);
  gl.uniform2f(at('uShift'), shift[0], shift[1]);
  gl.uniform1f(at('uFocus'), scene.focus);
  gl.uniform2f(at('uDepthRange'), scene.near, scene.far);
  gl.uniform2f(at('uZoom'), zoom[0], zoom[1]);
  gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  return { position: [position.x, position.y, position.z], eyeInPhoto: eye, shift, zoom };
}

/** The quad's size when placed (scale 1), m: LONG_SIDE along the photo's long side. */
function quadSize({ width, height }) {
  return width >= height ? [LONG_SIDE, LONG_SIDE * height / width] : [LONG_SIDE * width / height, LONG_SIDE];
}

/** The photo's pose when the session starts: DISTANCE ahead of the eyes (level), at their height, facing them. */
function placeInFront(head) {
  const q = head.orientation;
  // forward (0, 0, -1) rotated by the head's orientation, kept level (straight up or down: -z)
  const [fx, fz] = level(-2 * (q.x * q.z + q.w * q.y), -(1 - 2 * (q.x * q.x + q.y * q.y)), [0, -1]);
  const p = head.position;
  return facing([p.x + fx * DISTANCE, p.y, p.z + fz * DISTANCE], head);
}

/** The photo's pose on a surface the hit-test ray met (hit: its pose, y = the surface's normal): centred on a
 * wall, standing on something level (its centre half its height above), upright and facing the eyes. */
function placeOnSurface(hit, head, height) {
  const q = hit.orientation;
  const up = 1 - 2 * (q.x * q.x + q.z * q.z); // the normal's y: (0, 1, 0) rotated by q
  const p = hit.position;
  return facing([p.x, p.y + (up > LEVEL ? height / 2 : 0), p.z], head);
}

/** An upright pose at `point` whose +z (the quad's front) turns toward the head, level. */
function facing(point, head) {
  const [dx, dz] = level(head.position.x - point[0], head.position.z - point[2], [0, 1]);
  // a rotation about y taking +z to (dx, 0, dz)
  return new Float32Array([dz, 0, -dx, 0, 0, 1, 0, 0, dx, 0, dz, 0, point[0], point[1], point[2], 1]);
}

/** (x, z) made a unit vector, or `otherwise` where it has no length. */
function level(x, z, otherwise) {
  const norm = Math.hypot(x, z);
  return norm < 1e-6 ? otherwise : [x / norm, z / norm];
}

// 4x4 matrices, column-major as WebXR's.
function multiply(a, b) {
  const out = new Float32Array(16);
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 4; row++) {
      let sum = 0;
      for (let i = 0; i < 4; i++) sum += a[i * 4 + row] * b[col * 4 + i];
      out[col * 4 + row] = sum;
    }
  }
  return out;
}

/** Inverse of a rotation + translation. */
function rigidInverse(m) {
  const out = new Float32Array(16);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[c * 4 + r] = m[r * 4 + c];
  for (let r = 0; r < 3; r++) out[12 + r] = -(out[r] * m[12] + out[4 + r] * m[13] + out[8 + r] * m[14]);
  out[15] = 1;
  return out;
}

function transformPoint(m, [x, y, z]) {
  return [0, 1, 2].map((r) => m[r] * x + m[4 + r] * y + m[8 + r] * z + m[12 + r]);
}

/** A rigid matrix with its rotation scaled (uniformly) by s. */
function scaled(m, s) {
  const out = Float32Array.from(m);
  for (let i = 0; i < 12; i++) if (i % 4 !== 3) out[i] *= s;
  return out;
}

const distance = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const midpoint = (a, b) => [0, 1, 2].map((i) => (a[i] + b[i]) / 2);
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
