// The 3D photo viewer: a PixiJS v8 WebGL Application in a host element, a render-on-demand loop
// that eases the view offset, and the renderer (Renderer.js) in one of its modes. Input lives in ../motion.js.
//
//   const viewer = await createViewer(host, {renderer});  // rejects with a plain-words Error without WebGL 2
//   viewer.show(photo, depth);      // {rgba, width, height}, grey depth texels (depth-texels.js) or null
//   viewer.look(x, y);              // target view offset, -1..1 each; the view eases toward it
//   viewer.setStrength(s);          // 0..1, default 0.5: up to 4 % of the width between depth 0 and 1
//   viewer.setFocus(f);             // 0..1 (beyond: everything moves one way), default 0.5: the depth that stays still
//   viewer.setZoom(zoom, magnify);  // motion presets: radial parallax -1..1 and magnification 0..0.5
//   viewer.setRenderer(name);       // a render mode: 'layered' | 'displacement' | 'classic' (RENDER_MODES)
//   viewer.setLayers(layers);       // the worker's 'layers' result for the shown photo ('layered' draws them)
//   viewer.depthAt(clientX, clientY) // depth 0..1 of the shown photo under a page point, or null
//   viewer.uvAt(clientX, clientY), viewer.photoBox(), viewer.shown, viewer.lookNow(x, y)
//   viewer.scene                    // what the depth program draws (textures' sources, strength, focus): web/xr/
//   viewer.events                   // EventTarget: 'show' ({detail: {photo, depth}}) after each show()
//   viewer.redraw();                // request one frame
//   viewer.canvas, viewer.frames, viewer.idle, viewer.view, viewer.snapshot(maxSide), viewer.destroy()
//   const target = viewer.offscreen(width, height);  // exports: frames of any size, whatever the window's
//   target.render({x, y, zoom, magnify});  // RGBA bytes (top row first) of that pose, now; target.destroy()
//
// The canvas fills the host (which needs a definite size); the photo is letterboxed in it. Rendered at
// min(devicePixelRatio, 2) (less only beyond a 4.2 Mpx backing store), and re-fitted when the host or the window changes size. The ticker
// runs only while the view moves or a frame was requested; `frames` counts rendered frames.

import * as PIXI from '../vendor/pixi.min.mjs';
import '../vendor/pixi-unsafe-eval.mjs'; // eval-free uniform upload, so PixiJS runs under the CSP (no 'unsafe-eval')
import { depthTexelAt } from './depth-texels.js';
import { Renderer, RENDER_MODES } from './Renderer.js';
import { fragment } from './shaders.js';

export { RENDER_MODES };

const MAX_RESOLUTION = 2;
/** Backing-store budget, device px: on very large canvases (4K/5K screens) the resolution drops below
 * min(devicePixelRatio, 2) to stay within it. The photo's long side is at most 2048 px anyway. */
const MAX_PIXELS = 4_200_000;
/** How far beyond 0..1 the focus may lie (in depth units). */
const FOCUS_LIMIT = 8;
/** Easing time constant of the view offset, ms (about 95 % of the way in 3 tau). */
const EASE_MS = 110;
/** The eased offset snaps to the target (and the loop stops) below this distance. */
const EPSILON = 5e-4;

const clamp = (v, lo, hi) => (v < lo ? lo : v > hi ? hi : v);

function clamp01(name, value) {
    const v = Number(value);

    if (!Number.isFinite(v)) throw new TypeError(`${name} must be a number in 0..1, got ${value}`);

    return clamp(v, 0, 1);
}

/**
 * Create the viewer and append its canvas to `host`.
 * @param {HTMLElement} host  element with a definite size; the canvas is fitted inside it
 * @param {{strength?: number, focus?: number, maxShift?: number, overscan?: number,
 *          renderer?: 'layered' | 'displacement' | 'classic'}} [options]  renderer: the render mode
 *          (RENDER_MODES; default 'layered')
 * @returns {Promise<Viewer>}
 */
export async function createViewer(host, options = {}) {
    if (options.renderer !== undefined && !RENDER_MODES.includes(options.renderer)) {
        throw new TypeError(`unknown renderer ${options.renderer}; one of ${RENDER_MODES.join(', ')}`);
    }
    const app = new PIXI.Application();
    const box = fitBox(host, 1);

    try {
        await app.init({
            preference: ['webgl'],          // WebGL only: the filter has no WGSL/canvas version
            width: box.width,
            height: box.height,
            resolution: currentResolution(box.width, box.height),
            autoDensity: true,              // canvas CSS size = logical size
            backgroundAlpha: 0,
            antialias: false,
            autoStart: false,               // render on demand
            sharedTicker: false,
            powerPreference: 'low-power',
            eventFeatures: { move: false, globalMove: false, click: false, wheel: false },
        });
    } catch (err) {
        throw new Error('This browser could not start WebGL, which the 3D view needs. '
            + 'Try another browser or turn on hardware acceleration.', { cause: err });
    }
    if (app.renderer.context?.webGLVersion !== 2) {
        app.destroy({ removeView: true });
        throw new Error('The 3D view needs WebGL 2, which this browser does not offer.');
    }

    return new Viewer(host, app, options);
}

function currentResolution(width, height) {
    const wanted = Math.min(globalThis.devicePixelRatio || 1, MAX_RESOLUTION);
    const budget = Math.sqrt(MAX_PIXELS / Math.max(1, width * height));

    return Math.max(1, Math.min(wanted, budget));
}

/** Largest box of the given aspect (w/h) inside the host's content box, centred: CSS px. */
function fitBox(host, aspect) {
    const cs = getComputedStyle(host);
    const padX = (parseFloat(cs.paddingLeft) || 0) + (parseFloat(cs.paddingRight) || 0);
    const padY = (parseFloat(cs.paddingTop) || 0) + (parseFloat(cs.paddingBottom) || 0);
    const availW = Math.max(1, host.clientWidth - padX);
    const availH = host.clientHeight - padY;
    let width = availW;
    let height = width / aspect;

    if (availH >= 1 && height > availH) {
        height = availH;
        width = height * aspect;
    }
    // w / (w / h) can come out a hair under h in floating point: don't lose a whole pixel to it
    width = Math.max(1, Math.floor(width + 1e-6));
    height = Math.max(1, Math.floor(height + 1e-6));

    return {
        width,
        height,
        left: Math.floor((availW - width) / 2),
        top: availH >= 1 ? Math.floor((availH - height) / 2) : 0,
    };
}

class Viewer {
    constructor(host, app, options) {
        this.host = host;
        this.app = app;
        this.canvas = app.canvas;
        /** Rendered frames (loop frames and synchronous re-renders after a resize). */
        this.frames = 0;

        const { renderer: mode = RENDER_MODES[0], ...rendererOptions } = options;

        this._renderer = new Renderer({ ...rendererOptions, mode });
        app.stage.addChild(this._renderer.view);
        /** 'show' events after each show(), for modules that add to the photo (e.g. its layers). */
        this.events = new EventTarget();
        this._shown = null;   // {photo, depth} as last shown
        // Put a texture on the GPU in the next animation frame (one per frame; see setLayers).
        this._upload = (source) => new Promise((resolve) => {
            requestAnimationFrame(() => {
                if (!this._destroyed) this.app.renderer.texture.initSource(source);
                resolve();
            });
        });

        this._target = { x: 0, y: 0 };
        this._x = 0;
        this._y = 0;
        this._snapCanvas = null;
        this._destroyed = false;

        const canvas = this.canvas;

        canvas.style.display = 'block';
        canvas.style.touchAction = 'none';
        host.appendChild(canvas);

        this._tick = this._tick.bind(this);
        app.ticker.add(this._tick, null, PIXI.UPDATE_PRIORITY.HIGH);   // before app.render (LOW)

        this._onResize = () => this._fit();
        this._resizeObserver = typeof ResizeObserver === 'function' ? new ResizeObserver(this._onResize) : null;
        this._resizeObserver?.observe(host);
        addEventListener('resize', this._onResize);
        // devicePixelRatio changes (zoom, moving to another screen) do not always resize the host
        this._dprQuery = null;
        this._onDprChange = () => {
            this._watchResolution();
            this._fit();
        };
        this._watchResolution();
        this._onContextRestored = () => this.redraw();
        canvas.addEventListener('webglcontextrestored', this._onContextRestored);

        this._fit();
    }

    /**
     * Show a photo and its depth map, replacing (and freeing) the previous one. Calling it again
     * with the same photo object only swaps the depth map. depth may be null (flat, no parallax).
     * @param {{rgba: Uint8Array|Uint8ClampedArray, width: number, height: number}} photo
     * @param {{data: Uint8Array, width: number, height: number, near: number, far: number}|null} depth
     *        grey texels, 255 = near (depth-texels.js)
     */
    show(photo, depth) {
        if (this._destroyed) throw new Error('show() on a destroyed viewer');
        this._renderer.setPhoto(photo, depth ?? null);
        this._shown = { photo, depth: depth ?? null };
        this._fit();
        this.redraw();
        this.events.dispatchEvent(new CustomEvent('show', { detail: { photo, depth: depth ?? null } }));
    }

    /**
     * Layers (worker op 'layers') for the photo on screen; the 'layered' mode draws them, the others keep
     * them for a switch back. Their textures go to the GPU one per animation frame (a single task uploading
     * them all could block the page for a large photo). Resolves false when their size is not the shown
     * photo's or another photo was shown meanwhile.
     * @returns {Promise<boolean>}
     */
    async setLayers(layers) {
        const shown = this._shown;

        if (this._destroyed || !shown) return false;
        const taken = await this._renderer.setLayers(layers, this._upload);

        if (taken) this.redraw();

        return taken && this._shown === shown;
    }

    /** The render mode in use (one of RENDER_MODES). */
    get renderer() {
        return this._renderer.mode;
    }

    /** Switch render modes, keeping the photo, depth, layers, strength, focus, zoom and view. */
    setRenderer(name) {
        if (!RENDER_MODES.includes(name)) throw new TypeError(`unknown renderer ${name}; one of ${RENDER_MODES.join(', ')}`);
        if (this._destroyed || name === this._renderer.mode) return;
        this._renderer.setMode(name);
        this.redraw();
    }

    /** Photo uv (0..1 over the whole photo) under a page point, or null outside the visible photo. */
    uvAt(clientX, clientY) {
        const shown = this._shown;

        if (!shown) return null;
        const rect = this.canvas.getBoundingClientRect();
        const sprite = this._renderer.sprite;
        const local = sprite.toLocal({ x: clientX - rect.left, y: clientY - rect.top });
        const clip = sprite.filterArea;

        if (local.x < clip.x || local.y < clip.y || local.x > clip.x + clip.width || local.y > clip.y + clip.height) return null;

        return { u: local.x / shown.photo.width + 0.5, v: local.y / shown.photo.height + 0.5 };
    }

    /** Depth (0 far .. 1 near) of the shown photo's depth map under a page point, or null. */
    depthAt(clientX, clientY) {
        const uv = this.uvAt(clientX, clientY);
        const depth = this._shown?.depth;

        if (!uv || !depth) return null;

        return depthTexelAt(depth, uv.u * depth.width, uv.v * depth.height);
    }

    /** Target view offset, each -1..1 (clamped); the view eases toward it. */
    look(x, y) {
        const tx = clamp(Number(x) || 0, -1, 1);
        const ty = clamp(Number(y) || 0, -1, 1);

        if (tx === this._target.x && ty === this._target.y) return;
        this._target.x = tx;
        this._target.y = ty;
        this._wake();
    }

    /** Parallax strength 0..1 (default 0.5): the near/far shift at full offset, up to maxShift of the width. */
    setStrength(s) {
        this._renderer.strength = clamp01('strength', s);
        this.redraw();
    }

    /**
     * Zoom for the motion presets ('layered' and 'displacement'; 'classic' has none, as the seed had none):
     * zoom -1..1 is a radial parallax about the focus depth (dolly zoom), magnify 0..0.5 scales the view.
     */
    setZoom(zoom, magnify = 0) {
        this._renderer.setZoom(clamp(Number(zoom) || 0, -1, 1), clamp(Number(magnify) || 0, 0, 0.5));
        this.redraw();
    }

    /** Jump to a view offset at once (no easing): for recorded loops, where every frame must be exact. */
    lookNow(x, y) {
        this._target.x = this._x = clamp(Number(x) || 0, -1, 1);
        this._target.y = this._y = clamp(Number(y) || 0, -1, 1);
        if (this._renderer.hasPhoto) this._renderer.setView(this._x, this._y);
        this.redraw();
    }

    /**
     * The scene as the depth program draws it, for other views of it (the WebXR view: py/diorama/templates/
     * xr-session.js says the fields): the program's fragment shader, the renderer's marchSources as its
     * textures (uPhoto, uBack, uLayers), the depth span (near, far), flat, the photo's size and the strength,
     * focus and overscan in use; or null before a photo. A fresh object; its sources change identity when the
     * photo, depth or layers do.
     */
    get scene() {
        const sources = this._renderer.marchSources;

        return sources && { fragment, textures: { uPhoto: sources.photo, uBack: sources.back, uLayers: sources.layers },
            width: sources.photo.width, height: sources.photo.height, near: sources.near, far: sources.far,
            flat: sources.flat, strength: this._renderer.strength, focus: this._renderer.focus,
            overscan: this._renderer.overscan };
    }

    /** The photo and depth on screen ({photo, depth} as given to show()), or null. */
    get shown() {
        return this._shown ? { photo: this._shown.photo, depth: this._shown.depth } : null;
    }

    /** The photo's box on the canvas, in canvas (device) px: {x, y, width, height}. */
    photoBox() {
        const shown = this._shown;
        const r = this.app.renderer;
        const res = r.resolution;

        if (!shown) return { x: 0, y: 0, width: this.canvas.width, height: this.canvas.height };
        const scale = Math.min(r.width / shown.photo.width, r.height / shown.photo.height);
        const width = Math.round(shown.photo.width * scale * res);
        const height = Math.round(shown.photo.height * scale * res);

        return { x: Math.round((r.width * res - width) / 2), y: Math.round((r.height * res - height) / 2), width, height };
    }

    /**
     * Focus depth (0 far, 1 near; default 0.5): the depth that stays still. Beyond 0..1 (up to FOCUS_LIMIT
     * either way) the still plane lies behind the farthest or before the nearest point, so everything moves
     * one way, as between two real cameras (tests/stereo.py draws real right views so).
     */
    setFocus(f) {
        const v = Number(f);

        if (!Number.isFinite(v)) throw new TypeError(`focus must be a number, got ${f}`);
        this._renderer.focus = clamp(v, -FOCUS_LIMIT, 1 + FOCUS_LIMIT);
        this.redraw();
    }

    get strength() {
        return this._renderer.strength;
    }

    get focus() {
        return this._renderer.focus;
    }

    /** The eased view offset and its target (fresh object; for tests and UI, not per frame). */
    get view() {
        return { x: this._x, y: this._y, targetX: this._target.x, targetY: this._target.y };
    }

    /** True while the loop is stopped (nothing moving, no frame requested). */
    get idle() {
        return !this.app.ticker.started;
    }

    /** Request one frame. */
    redraw() {
        if (this._destroyed) return;
        this.app.ticker.start();          // a settled view renders this one frame, then stops
    }

    /**
     * Render now and return the current frame scaled to at most maxSide px on its long side
     * (ImageData, RGBA, top row first). For tests and thumbnails; not counted in `frames`.
     * @param {number} [maxSide=256]
     * @returns {ImageData}
     */
    snapshot(maxSide = 256) {
        const src = this.canvas;
        const k = Math.min(1, maxSide / Math.max(src.width, src.height));
        const w = Math.max(1, Math.round(src.width * k));
        const h = Math.max(1, Math.round(src.height * k));

        if (!this._snapCanvas) this._snapCanvas = document.createElement('canvas');
        const snap = this._snapCanvas;

        snap.width = w;
        snap.height = h;
        const ctx = snap.getContext('2d', { willReadFrequently: true });

        // Read the WebGL drawing buffer in the same task as the render that filled it: it is only
        // guaranteed until the frame is presented (no preserveDrawingBuffer needed).
        this.app.render();
        ctx.clearRect(0, 0, w, h);
        ctx.drawImage(src, 0, 0, w, h);

        return ctx.getImageData(0, 0, w, h);
    }

    /**
     * A render target of its own size for exports: render(pose) draws the photo at that pose (view offset and
     * zoom; the strength, focus and mode in use) filling (width, height) exactly, independent of the window,
     * and reads it back. The screen's view and layout are restored in the same task: the page never shows the
     * export's poses and draws no frame of its own for them.
     * @param {number} width  device px
     * @param {number} height  device px
     * @returns {{width: number, height: number, render: (pose: {x, y, zoom, magnify}) => Uint8ClampedArray,
     *          destroy: () => void}}  render(): width*height RGBA bytes, top row first, opaque
     */
    offscreen(width, height) {
        if (!this._shown) throw new Error('No photo is shown yet.');
        const texture = PIXI.RenderTexture.create({ width, height, resolution: 1, antialias: false });
        const renderer = this.app.renderer;
        const photo = this._renderer;

        return {
            width,
            height,
            render: ({ x, y, zoom, magnify }) => {
                const screen = photo.pose;

                photo.layout(width, height, { cover: true });
                photo.setView(clamp(x, -1, 1), clamp(y, -1, 1));
                photo.setZoom(clamp(zoom, -1, 1), clamp(magnify, 0, 0.5));
                try {
                    renderer.render({ container: photo.view, target: texture, clear: true, clearColor: [0, 0, 0, 1] });

                    return renderer.extract.pixels(texture).pixels;
                } finally {
                    photo.setZoom(screen.zoom, screen.magnify);
                    photo.setView(screen.x, screen.y);
                    photo.layout(renderer.width, renderer.height);
                }
            },
            destroy: () => texture.destroy(true),
        };
    }

    destroy() {
        if (this._destroyed) return;
        this._destroyed = true;
        this._resizeObserver?.disconnect();
        removeEventListener('resize', this._onResize);
        this._dprQuery?.removeEventListener('change', this._onDprChange);
        this.canvas.removeEventListener('webglcontextrestored', this._onContextRestored);
        this.app.ticker.stop();
        this.app.ticker.remove(this._tick, null);
        this._renderer.destroy();
        this.app.destroy({ removeView: true }, { children: true });
        this._snapCanvas = null;
    }

    _watchResolution() {
        if (typeof matchMedia !== 'function') return;
        this._dprQuery?.removeEventListener('change', this._onDprChange);
        this._dprQuery = matchMedia(`(resolution: ${globalThis.devicePixelRatio || 1}dppx)`);
        this._dprQuery.addEventListener('change', this._onDprChange);
    }

    _wake() {
        if (this._destroyed) return;
        if (!this._renderer.hasPhoto) {
            // nothing to draw: jump, so the first photo appears at the current target
            this._x = this._target.x;
            this._y = this._target.y;

            return;
        }
        this.app.ticker.start();
    }

    /** Per frame (ticker, before render): ease toward the target; stop when settled. Allocates nothing. */
    _tick(ticker) {
        const dx = this._target.x - this._x;
        const dy = this._target.y - this._y;

        if (Math.abs(dx) < EPSILON && Math.abs(dy) < EPSILON) {
            this._x = this._target.x;
            this._y = this._target.y;
            ticker.stop();                  // settled: this frame still renders, then the loop idles
        } else {
            const k = 1 - Math.exp(-ticker.deltaMS / EASE_MS);

            this._x += dx * k;
            this._y += dy * k;
        }
        this._renderer.setView(this._x, this._y);
        this.frames++;
    }

    /** Fit the canvas to the host (letterboxed, centred) and re-render at once, so it never flashes blank. */
    _fit() {
        if (this._destroyed) return;
        const box = fitBox(this.host, this._hostAspect());
        const resolution = currentResolution(box.width, box.height);
        const renderer = this.app.renderer;
        const style = this.canvas.style;

        style.marginLeft = `${box.left}px`;
        style.marginTop = `${box.top}px`;
        if (renderer.width !== box.width || renderer.height !== box.height || renderer.resolution !== resolution) {
            renderer.resize(box.width, box.height, resolution);
        }
        this._renderer.layout(box.width, box.height);
        if (this._renderer.hasPhoto) {
            this._renderer.setView(this._x, this._y);
            this.app.render();
            this.frames++;
        }
    }

    _hostAspect() {
        const w = this.host.clientWidth;
        const h = this.host.clientHeight;

        return w > 0 && h > 0 ? w / h : 4 / 3;
    }
}
