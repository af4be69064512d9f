// The renderer: one photo sprite, letterboxed and overscanned in the canvas, drawn through a depth filter.
// It owns the sprite, its textures and the filters; it knows nothing of the page, the loop or input. The
// viewer puts `view` on its stage, calls `layout` on resize and `setView` when the eased view offset changes.
//
// Modes (RENDER_MODES), switched at any time with setMode, the photo, depth and layers staying:
//   'layered'       the default: the photo's front layer over an inpainted back layer, each marched
//                   through its own depth (DepthFilter, shaders.js), once setLayers() gave the worker's
//                   layers; until then, and without them, exactly the 'displacement' look.
//   'displacement'  the same program with back = the photo and layers = the plain depth texels (one layer);
//                   layers given by setLayers are kept for a switch back but not used.
//   'classic'       the 2020 seed's own look: PixiJS' stock DisplacementFilter driven by a sprite of the
//                   depth map (each pixel moves by (depth - 0.5) * scale, read at the pixel itself), its
//                   scale set from the view offset x strength x maxShift x the photo's size on screen, so the
//                   displacement is as large as in the other modes. It has no focus (0.5 stays still) and no
//                   zoom, as the seed had neither.
//
// Textures: the photo (the sprite's, linear and mipmapped); the depth (grey texels, see depth-texels.js,
// sampled nearest so depth edges stay cliffs; also the classic map sprite's texture); with layers "back",
// the background layer's colour in RGB with the front's opacity in A, and "layers", the front depth (R) and
// the back depth (G) (py/diorama/layers.py; worker op 'layers'). setLayers takes an `upload` callback so the
// viewer can put one texture on the GPU per frame, so that no single task blocks the page.
import * as PIXI from '../vendor/pixi.min.mjs';
import { OPTIONS, RENDER } from '../options.js';
import { checkDepthTexels, FLAT_DEPTH } from './depth-texels.js';
import { fragment, vertex } from './shaders.js';

/** The renderer's looks, by name: the renderer option's choices (options.py); the first is the default. */
export const RENDER_MODES = Object.freeze(OPTIONS.renderer.choices.map((choice) => choice.value));

/**
 * The depth filter, in the shape of PixiJS' own DisplacementFilter (src/filters/defaults/displacement):
 * GlProgram.from + one named uniform group + texture resources, typed setters, and an apply() that
 * allocates nothing. Unlike the stock filter it samples the photo texture itself rather than the filter's
 * input (which is clipped to the canvas), so the few percent of photo hidden by the overscan are
 * available to displaced samples and the edges never show background. Apply it to the photo's sprite.
 */
export class DepthFilter extends PIXI.Filter {
    /**
     * @param {{sprite: PIXI.Sprite, photo: PIXI.TextureSource, back: PIXI.TextureSource,
     *          layers: PIXI.TextureSource, focus?: number}} options
     */
    constructor({ sprite, photo, back, layers, focus = 0.5, ...rest }) {
        const depthUniforms = new PIXI.UniformGroup({
            uFilterMatrix: { value: new PIXI.Matrix(), type: 'mat3x3<f32>' },
            uShift: { value: new Float32Array(2), type: 'vec2<f32>' },
            uFocus: { value: focus, type: 'f32' },
            uDepthRange: { value: new Float32Array([1, 0]), type: 'vec2<f32>' },
            uZoom: { value: new Float32Array(2), type: 'vec2<f32>' },
        });
        const glProgram = PIXI.GlProgram.from({
            vertex,
            fragment,
            name: 'diorama-depth',
            preferredFragmentPrecision: 'highp',   // uv of a 2048 px photo needs more than fp16
        });

        super({
            resolution: 'inherit',                 // render at the renderer's devicePixelRatio
            antialias: 'off',
            ...rest,
            glProgram,
            resources: {
                depthUniforms,
                uPhoto: photo,
                uPhotoSampler: photo.style,
                uBack: back,
                uBackSampler: back.style,
                uLayers: layers,
                uLayersSampler: layers.style,
            },
        });
        this._sprite = sprite;
    }

    /** Point the filter at other textures (same sprite). */
    setSources(photo, back, layers) {
        const r = this.resources;

        r.uPhoto = photo;
        r.uPhotoSampler = photo.style;
        r.uBack = back;
        r.uBackSampler = back.style;
        r.uLayers = layers;
        r.uLayersSampler = layers.style;
    }

    /** Nearest and farthest depth (0..1) of the layers: the march covers only this span. */
    setDepthRange(near, far) {
        const range = this.resources.depthUniforms.uniforms.uDepthRange;

        range[0] = near;
        range[1] = far;
    }

    /**
     * Set the displacement (photo uv units): a pixel of depth d moves by -(x, y) * (d - focus), and with a
     * zoom `radial` outward by (uv - centre) * radial * (d - focus) (a dolly: near grows, far shrinks about
     * the focus), `magnify` scaling everything about the centre. The march picks how many layers to take
     * from the travel (march.glsl marchSteps).
     */
    setShift(x, y, radial = 0, magnify = 0) {
        const uniforms = this.resources.depthUniforms.uniforms;

        uniforms.uShift[0] = x;
        uniforms.uShift[1] = y;
        uniforms.uZoom[0] = radial;
        uniforms.uZoom[1] = magnify;
    }

    /** Depth (0 far .. 1 near) that stays still. */
    get focus() {
        return this.resources.depthUniforms.uniforms.uFocus;
    }

    set focus(value) {
        this.resources.depthUniforms.uniforms.uFocus = value;
    }

    /** @internal per frame: maps filter coordinates to the sprite's photo uv; allocates nothing. */
    apply(filterManager, input, output, clearMode) {
        filterManager.calculateSpriteMatrix(this.resources.depthUniforms.uniforms.uFilterMatrix, this._sprite);
        filterManager.applyFilter(this, input, output, clearMode);
    }
}

/** kind: 'photo' (linear, mipmapped), 'back' (linear) or 'depth' (nearest: depth edges stay cliffs). */
function rgbaSource(bytes, width, height, label, kind) {
    return new PIXI.BufferImageSource({
        resource: bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        width,
        height,
        format: 'rgba8unorm',
        // back: RGB colour and A = the front's opacity, not a transparency of its own
        alphaMode: kind === 'photo' ? 'premultiply-alpha-on-upload' : 'no-premultiply-alpha',
        autoGenerateMipmaps: kind === 'photo',   // smooth downscaling of large photos
        mipmapFilter: 'linear',
        scaleMode: kind === 'depth' ? 'nearest' : 'linear',
        addressMode: 'clamp-to-edge',
        label,
    });
}

function checkSize(what, data, width, height, channels) {
    if (!data || data.length !== width * height * channels) {
        throw new TypeError(`${what} must hold ${width}*${height}*${channels} values, got ${data ? data.length : data}`);
    }
}

export class Renderer {
    static defaultOptions = {
        mode: RENDER_MODES[0],
        /** Parallax between depth 0 and 1 at strength 1 and a view offset of 1, fraction of photo width. */
        maxShift: RENDER.maxShift,
        /** Sprite scale over the fitted size, so displaced edges sample hidden photo, not background. */
        overscan: 1.04,
        strength: 0.5,
        focus: 0.5,
    };

    constructor(options = {}) {
        const o = { ...Renderer.defaultOptions, ...options };

        this.maxShift = o.maxShift;
        this.overscan = o.overscan;
        this._mode = RENDER_MODES[0];
        this._strength = o.strength;
        this._focus = o.focus;
        this._x = 0;
        this._y = 0;
        this._zoom = 0;
        this._magnify = 0;
        this._aspect = 1;            // photo width / height
        this._photo = null;          // {texture, key} key = the caller's rgba array
        this._depth = null;          // {texture, near, far, flat}: the plain depth texels
        this._layers = null;         // {back, packed, near, far}: the worker's layers for this photo and depth
        this._generation = 0;        // bumped by every setPhoto/setLayers: a slow upload of stale layers is dropped
        this._filter = null;         // DepthFilter ('layered', 'displacement'), made at the first photo
        this._classic = null;        // PIXI.DisplacementFilter ('classic'), made when first used
        this._width = 1;
        this._height = 1;
        this._texW = 1;
        this._texH = 1;

        this.view = new PIXI.Container();
        this.sprite = new PIXI.Sprite();
        this.sprite.anchor.set(0.5);
        this.sprite.visible = false;
        // set before any filter is attached (PixiJS ignores a filterArea set later)
        this._clip = new PIXI.Rectangle();
        this.sprite.filterArea = this._clip;
        // the classic filter's map: the depth laid over the photo, never drawn itself
        this._map = new PIXI.Sprite();
        this._map.anchor.set(0.5);
        this._map.renderable = false;
        this.view.addChild(this.sprite, this._map);
        this.setMode(o.mode);
    }

    get hasPhoto() {
        return this._photo !== null;
    }

    /** One of RENDER_MODES. */
    get mode() {
        return this._mode;
    }

    /** Switch looks; the photo, depth, layers, strength, focus, zoom and view stay. */
    setMode(name) {
        if (!RENDER_MODES.includes(name)) throw new TypeError(`unknown render mode ${name}; one of ${RENDER_MODES.join(', ')}`);
        this._mode = name;
        if (this._photo) this._useSources();
    }

    /**
     * Show a photo with its depth; frees the textures of the previous one and drops its layers. Passing
     * the same photo object (same rgba array) again only replaces the depth.
     * @param {{rgba: Uint8Array|Uint8ClampedArray, width: number, height: number}} photo
     * @param {{data: Uint8Array, width: number, height: number, near: number, far: number}|null} depth
     *        grey texels (depth-texels.js); null: flat (FLAT_DEPTH, no parallax)
     */
    setPhoto(photo, depth) {
        const { width, height } = photo;

        if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
            throw new TypeError('photo needs positive integer width and height');
        }
        checkSize('photo.rgba', photo.rgba, width, height, 4);
        const texels = depth ? checkDepthTexels(depth) : FLAT_DEPTH;
        const old = this._photo;
        let entry = old;

        if (!old || old.key !== photo.rgba || old.texture.width !== width || old.texture.height !== height) {
            entry = { texture: new PIXI.Texture({ source: rgbaSource(photo.rgba, width, height, 'diorama photo', 'photo') }),
                key: photo.rgba };
        }
        const oldDepth = this._depth;

        this._photo = entry;
        this._depth = {
            texture: new PIXI.Texture({ source: rgbaSource(texels.data, texels.width, texels.height, 'diorama depth', 'depth') }),
            near: texels.near,
            far: texels.far,
            flat: !depth,
        };
        this._aspect = width / height;
        this._texW = width;
        this._texH = height;
        this.sprite.texture = entry.texture;
        this.sprite.visible = true;
        this._generation++;
        this._dropLayers();
        this._useSources();
        oldDepth?.texture.destroy(true);
        if (old && old !== entry) old.texture.destroy(true);
        this.layout(this._width, this._height);
    }

    /**
     * Keep the worker's layers for the current photo and depth (ignored when their size differs); the
     * 'layered' mode draws with them.
     * @param {{width: number, height: number, back: Uint8Array, layers: Uint8Array, near: number, far: number}} layers
     *        RGBA each; back: RGB colour, A front opacity; layers: R front depth, G back depth (255 = near)
     * @param {(source: PIXI.TextureSource) => Promise<void>} [upload]  puts a texture on the GPU ahead
     *        of use (the viewer spreads uploads over frames); without it they upload at the next render
     * @returns {Promise<boolean>} whether they were taken (false: wrong size, or another photo came first)
     */
    async setLayers(layers, upload = null) {
        if (!this._photo || layers.width !== this._texW || layers.height !== this._texH) return false;
        const { width, height } = layers;

        checkSize('layers.back', layers.back, width, height, 4);
        checkSize('layers.layers', layers.layers, width, height, 4);
        const generation = ++this._generation;
        const back = rgbaSource(layers.back, width, height, 'diorama back layer', 'back');
        const packed = rgbaSource(layers.layers, width, height, 'diorama layers', 'depth');

        if (upload) {
            for (const source of [back, packed]) {
                await upload(source);
                if (generation !== this._generation || !this._photo) {
                    back.destroy();
                    packed.destroy();

                    return false;
                }
            }
        }
        const old = this._layers;

        this._layers = { back, packed, near: layers.near, far: layers.far };
        this._useSources();
        if (old) { old.back.destroy(); old.packed.destroy(); }

        return true;
    }

    /**
     * Fit the photo inside a (width, height) canvas, letterboxed and centred. The sprite is scaled by
     * overscan, so displaced edges sample hidden photo, and the filter is clipped to the photo's fitted
     * box, so the overscan never shows in the letterbox. The canvas keeps the host's size whatever the
     * photo's aspect: resizing a WebGL canvas per photo stalls the UI thread. With `cover` the photo fills the
     * box instead, cropping at most a pixel or so: an export's frame, whose even size rounds the photo's aspect.
     */
    layout(width, height, { cover = false } = {}) {
        this._width = width;
        this._height = height;
        if (!this._photo) return;
        const tex = this._photo.texture;
        const scale = (cover ? Math.max : Math.min)(width / tex.width, height / tex.height) * this.overscan;
        const clip = this._clip;
        const map = this._depth.texture;

        this.sprite.position.set(width / 2, height / 2);
        this.sprite.scale.set(scale);
        this._map.position.set(width / 2, height / 2);
        this._map.scale.set(scale * tex.width / map.width, scale * tex.height / map.height);
        // local (texture px, anchor at the centre) rectangle that lands on the fitted box
        clip.width = tex.width / this.overscan;
        clip.height = tex.height / this.overscan;
        clip.x = -clip.width / 2;
        clip.y = -clip.height / 2;
        this._updateShift();
    }

    /**
     * Zoom, for the motion presets ('layered' and 'displacement'; 'classic' has none): `zoom` is a radial
     * parallax (fraction of the distance to the centre per unit of depth from the focus, scaled by
     * strength * maxShift like the lateral one), `magnify` a plain magnification (fraction).
     * dolly in: both > 0; dolly zoom: zoom only.
     */
    setZoom(zoom, magnify = 0) {
        this._zoom = zoom;
        this._magnify = magnify;
        this._updateShift();
    }

    /** The view drawn: {x, y} offset and {zoom, magnify} (setView, setZoom). */
    get pose() {
        return { x: this._x, y: this._y, zoom: this._zoom, magnify: this._magnify };
    }

    /** Eased view offset, each in -1..1. */
    setView(x, y) {
        this._x = x;
        this._y = y;
        this._updateShift();
    }

    get strength() {
        return this._strength;
    }

    set strength(value) {
        this._strength = value;
        this._updateShift();
    }

    /** Depth (0 far .. 1 near) that stays still ('classic': always 0.5, as the stock filter has it). */
    get focus() {
        return this._focus;
    }

    set focus(value) {
        this._focus = value;
        if (this._filter) this._filter.focus = value;
    }

    destroy() {
        this._generation++;
        this.sprite.filters = null;
        this._filter?.destroy();
        this._classic?.destroy();
        this._dropLayers();
        this._photo?.texture.destroy(true);
        this._depth?.texture.destroy(true);
        this._photo = this._depth = this._filter = this._classic = null;
        this.view.destroy({ children: true });
    }

    _dropLayers() {
        if (!this._layers) return;
        this._layers.back.destroy();
        this._layers.packed.destroy();
        this._layers = null;
    }

    /**
     * What the depth program (shaders.js) draws the photo with in this mode ('classic': the 'displacement'
     * ones), or null before a photo: the PixiJS sources bound as uPhoto, uBack and uLayers (each holds its RGBA
     * bytes as `resource`, with its size, scaleMode, alphaMode and autoGenerateMipmaps), the depth span marched
     * (near, far) and `flat` (no depth: no parallax). The 2D filter and the WebXR view (web/xr/) both draw these.
     */
    get marchSources() {
        if (!this._photo) return null;
        const depth = this._depth;
        const photo = this._photo.texture.source;
        const layers = this._mode === 'layered' ? this._layers : null;

        return layers
            ? { photo, back: layers.back, layers: layers.packed, near: layers.near, far: layers.far, flat: depth.flat }
            : { photo, back: photo, layers: depth.texture.source, near: depth.near, far: depth.far, flat: depth.flat };
    }

    /** Bind the textures the mode draws with and put its filter on the sprite. */
    _useSources() {
        const depth = this._depth;
        let filter;

        this._map.texture = depth.texture;
        if (this._mode === 'classic') {
            // The stock filter sets the map sprite unrenderable and reads its texture at every apply().
            this._classic ??= new PIXI.DisplacementFilter({ sprite: this._map, scale: 0, resolution: 'inherit' });
            filter = this._classic;
        } else {
            const { photo, back, layers, near, far } = this.marchSources;

            if (this._filter) this._filter.setSources(photo, back, layers);
            else this._filter = new DepthFilter({ sprite: this.sprite, photo, back, layers, focus: this._focus });
            this._filter.setDepthRange(near, far);
            filter = this._filter;
        }
        if (this.sprite.filters?.[0] !== filter) this.sprite.filters = [filter];
        this._updateShift();
    }

    _updateShift() {
        const filter = this._mode === 'classic' ? this._classic : this._filter;

        if (!filter) return;
        const flat = this._depth.flat;
        const k = flat ? 0 : this._strength * this.maxShift;

        if (filter === this._classic) {
            // stock filter: a pixel of depth d samples the filter's input (d - 0.5) * scale canvas px away;
            // x is a fraction of the photo's width on screen, y too, so equal offsets move equal pixels
            const px = k * this._texW * this.sprite.scale.x;

            filter.scale.x = this._x * px;
            filter.scale.y = this._y * px;

            return;
        }
        if (flat) {
            filter.setShift(0, 0);

            return;
        }
        // uv units: x is a fraction of the width; y is scaled so equal offsets move equal pixels.
        filter.setShift(this._x * k, this._y * k * this._aspect, this._zoom * k * 4, this._magnify);
    }
}
