// Layered renderer: a foreground layer over an inpainted background layer, each with per-pixel
// parallax, in one filter pass (see shaders.js). Same interface as DisplacementRenderer, plus
// setLayers() for the layers the worker computes after the photo is first shown
// (py/diorama/layers.py; worker op 'layers'). Until they arrive it draws the photo over itself with
// the plain depth, i.e. exactly what the displacement renderer draws.
//
// Textures: the photo (the front layer's colour, shared with the sprite); "back", the background
// layer's colour in RGB with the front's opacity in A (linear, no mipmaps: it only shows in uncovered
// strips); "layers", the front depth (R) and the back depth (G), sampled nearest so that depth edges
// stay cliffs. The worker's grey depth texels (R = G = B = depth, A = 255) are a valid single layer as
// they are. Only two new textures per photo, which the viewer uploads one per frame so that no single
// task blocks the page.
import * as PIXI from '../../vendor/pixi.min.mjs';
import { fragment, MAX_STEPS, vertex } from './shaders.js';

/** One-pass filter: front over back, each marched through its own depth channel. */
export class LayeredFilter extends PIXI.Filter
{
    /**
     * @param {{sprite: PIXI.Sprite, photo: PIXI.TextureSource, back: PIXI.TextureSource,
     *          layers: PIXI.TextureSource, focus?: number}} options
     */
    constructor({ sprite, photo, back, layers, focus = 0.5, ...rest })
    {
        const layeredUniforms = new PIXI.UniformGroup({
            uFilterMatrix: { value: new PIXI.Matrix(), type: 'mat3x3<f32>' },
            uShift: { value: new Float32Array(2), type: 'vec2<f32>' },
            uFocus: { value: focus, type: 'f32' },
            uDepthRange: { value: new Float32Array([1, 0]), type: 'vec2<f32>' },
            uSteps: { value: MAX_STEPS, type: 'f32' },
            uZoom: { value: new Float32Array(2), type: 'vec2<f32>' },
        });
        const glProgram = PIXI.GlProgram.from({
            vertex,
            fragment,
            name: 'diorama-layered',
            preferredFragmentPrecision: 'highp',
        });

        super({
            resolution: 'inherit',
            antialias: 'off',
            ...rest,
            glProgram,
            resources: {
                layeredUniforms,
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

    setSources(photo, back, layers)
    {
        const r = this.resources;

        r.uPhoto = photo;
        r.uPhotoSampler = photo.style;
        r.uBack = back;
        r.uBackSampler = back.style;
        r.uLayers = layers;
        r.uLayersSampler = layers.style;
    }

    setDepthRange(near, far)
    {
        const range = this.resources.layeredUniforms.uniforms.uDepthRange;

        range[0] = near;
        range[1] = far;
    }

    /**
     * As DepthDisplacementFilter.setShift (photo uv units; layers marched ~ one per two texels of
     * travel), plus a zoom: `radial` moves a pixel of depth d outward by (uv - centre) * radial * (d - focus)
     * (a dolly: near grows, far shrinks about the focus), `magnify` scales everything about the centre.
     */
    setShift(x, y, texelsPerUnitX, texelsPerUnitY, radial = 0, magnify = 0)
    {
        const uniforms = this.resources.layeredUniforms.uniforms;
        const range = uniforms.uDepthRange;
        const lateral = Math.hypot(x * texelsPerUnitX, y * texelsPerUnitY);
        const travel = (lateral + 0.5 * Math.abs(radial) * Math.max(texelsPerUnitX, texelsPerUnitY)) * (range[0] - range[1]);

        uniforms.uShift[0] = x;
        uniforms.uShift[1] = y;
        uniforms.uZoom[0] = radial;
        uniforms.uZoom[1] = magnify;
        uniforms.uSteps = Math.min(MAX_STEPS, Math.max(2, Math.ceil(travel / 2)));
    }

    get focus()
    {
        return this.resources.layeredUniforms.uniforms.uFocus;
    }

    set focus(value)
    {
        this.resources.layeredUniforms.uniforms.uFocus = value;
    }

    /** @internal per frame; allocates nothing. */
    apply(filterManager, input, output, clearMode)
    {
        filterManager.calculateSpriteMatrix(this.resources.layeredUniforms.uniforms.uFilterMatrix, this._sprite);
        filterManager.applyFilter(this, input, output, clearMode);
    }
}

/** kind: 'photo' (linear, mipmapped), 'back' (linear) or 'layers' (nearest: depth edges stay cliffs). */
function rgbaSource(bytes, width, height, label, kind)
{
    return new PIXI.BufferImageSource({
        resource: bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        width,
        height,
        format: 'rgba8unorm',
        // back: RGB colour and A = the front's opacity, not a transparency of its own
        alphaMode: kind === 'photo' ? 'premultiply-alpha-on-upload' : 'no-premultiply-alpha',
        autoGenerateMipmaps: kind === 'photo',
        mipmapFilter: 'linear',
        scaleMode: kind === 'layers' ? 'nearest' : 'linear',
        addressMode: 'clamp-to-edge',
        label,
    });
}

/** Plain depth (W*H, 255 = near) as a layers texture (R = G = depth, A = opaque) and its range. */
function plainDepths(data, width, height)
{
    const n = width * height;
    const rgba = new Uint8Array(n * 4);
    let lo = 255;
    let hi = 0;

    for (let i = 0, j = 0; i < n; i++, j += 4)
    {
        const v = data[i];

        if (v < lo) lo = v;
        if (v > hi) hi = v;
        rgba[j] = v; rgba[j + 1] = v; rgba[j + 3] = 255;
    }

    return { rgba, near: hi / 255, far: lo / 255 };
}

function checkSize(what, data, width, height, channels)
{
    if (!data || data.length !== width * height * channels)
    {
        throw new TypeError(`${what} must hold ${width}*${height}*${channels} values, got ${data ? data.length : data}`);
    }
}

export class LayeredRenderer
{
    static defaultOptions = {
        maxShift: 0.04,
        overscan: 1.04,
        strength: 0.5,
        focus: 0.5,
    };

    constructor(options = {})
    {
        const o = { ...LayeredRenderer.defaultOptions, ...options };

        this.maxShift = o.maxShift;
        this.overscan = o.overscan;
        this._strength = o.strength;
        this._focus = o.focus;
        this._x = 0;
        this._y = 0;
        this._zoom = 0;
        this._magnify = 0;
        this._aspect = 1;
        this._photo = null;      // {texture, key}
        this._layerTextures = []; // textures owned for the current layers (back, layers), freed on change
        this._generation = 0;     // bumped by every setPhoto/setLayers: a slow upload of stale layers is dropped
        this._flat = true;
        this._layered = false;
        this._filter = null;
        this._width = 1;
        this._height = 1;
        this._texW = 1;
        this._texH = 1;

        this.view = new PIXI.Container();
        this.sprite = new PIXI.Sprite();
        this.sprite.anchor.set(0.5);
        this.sprite.visible = false;
        this._clip = new PIXI.Rectangle();
        this.sprite.filterArea = this._clip;
        this.view.addChild(this.sprite);
    }

    get hasPhoto()
    {
        return this._photo !== null;
    }

    /** True once setLayers() gave real layers for the current photo. */
    get layered()
    {
        return this._layered;
    }

    /**
     * Show a photo; as DisplacementRenderer.setPhoto, plus optional layers (see setLayers).
     * @param {{rgba: Uint8Array, width: number, height: number}} photo
     * @param {{data: Uint8Array, width: number, height: number, near?: number, far?: number}|null} depth
     *        255 = near: W*H values, or W*H grey RGBA texels with their near/far range (0..1)
     * @param {object|null} [layers]
     */
    setPhoto(photo, depth, layers = null)
    {
        const { width, height } = photo;

        if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
        {
            throw new TypeError('photo needs positive integer width and height');
        }
        checkSize('photo.rgba', photo.rgba, width, height, 4);
        const old = this._photo;
        let entry = old;

        if (!old || old.key !== photo.rgba || old.texture.width !== width || old.texture.height !== height)
        {
            entry = { texture: new PIXI.Texture({ source: rgbaSource(photo.rgba, width, height, 'diorama photo', 'photo') }),
                key: photo.rgba };
        }
        this._photo = entry;
        this._aspect = width / height;
        this._texW = width;
        this._texH = height;
        this.sprite.texture = entry.texture;
        this.sprite.visible = true;

        this._generation++;
        this._usePlainDepth(depth);
        if (layers) this.setLayers(layers);
        if (old && old !== entry) old.texture.destroy(true);
        this.layout(this._width, this._height);
        this._updateShift();
    }

    /**
     * Use the worker's layers for the current photo (ignored when their size differs).
     * @param {{width: number, height: number, back: Uint8Array, layers: Uint8Array, near: number, far: number}} layers
     *        RGBA each; back: RGB colour, A front opacity; layers: R front depth, G back depth (255 = near)
     * @param {(source: PIXI.TextureSource) => Promise<void>} [upload]  puts a texture on the GPU ahead
     *        of use (the viewer spreads uploads over frames); without it they upload at the next render
     * @returns {Promise<boolean>} whether they were taken (false: wrong size, or another photo came first)
     */
    async setLayers(layers, upload = null)
    {
        if (!this._photo || layers.width !== this._texW || layers.height !== this._texH) return false;
        const { width, height } = layers;

        checkSize('layers.back', layers.back, width, height, 4);
        checkSize('layers.layers', layers.layers, width, height, 4);
        const generation = ++this._generation;
        const back = rgbaSource(layers.back, width, height, 'diorama back layer', 'back');
        const packed = rgbaSource(layers.layers, width, height, 'diorama layers', 'layers');

        if (upload)
        {
            for (const source of [back, packed])
            {
                await upload(source);
                if (generation !== this._generation || !this._photo)
                {
                    back.destroy();
                    packed.destroy();

                    return false;
                }
            }
        }
        this._setSources(this._photo.texture.source, back, packed, layers.near, layers.far, [back, packed]);
        this._flat = false;
        this._layered = true;
        this._updateShift();

        return true;
    }

    _usePlainDepth(depth)
    {
        const photoSource = this._photo.texture.source;
        let pair;

        if (depth && depth.data?.length === depth.width * depth.height * 4)
        {
            // grey texels expanded by the worker (R = G = B = depth, A = 255), with their range
            pair = { rgba: depth.data, near: depth.near, far: depth.far, width: depth.width, height: depth.height };
        }
        else if (depth)
        {
            checkSize('depth.data', depth.data, depth.width, depth.height, 1);
            pair = { ...plainDepths(depth.data, depth.width, depth.height), width: depth.width, height: depth.height };
        }
        else
        {
            pair = { rgba: new Uint8Array([128, 128, 0, 255]), near: 0.5, far: 0.5, width: 1, height: 1 };
        }
        const packed = rgbaSource(pair.rgba, pair.width, pair.height, 'diorama layers', 'layers');

        this._setSources(photoSource, photoSource, packed, pair.near, pair.far, [packed]);
        this._flat = !depth;
        this._layered = false;
    }

    _setSources(photo, back, layers, near, far, owned)
    {
        const previous = this._layerTextures;

        if (this._filter)
        {
            this._filter.setSources(photo, back, layers);
        }
        else
        {
            this._filter = new LayeredFilter({ sprite: this.sprite, photo, back, layers, focus: this._focus });
            this.sprite.filters = [this._filter];
        }
        this._filter.setDepthRange(near, far);
        this._layerTextures = owned;
        for (const source of previous) source.destroy();
    }

    /** As DisplacementRenderer.layout: letterboxed, overscanned, clipped to the fitted box. */
    layout(width, height)
    {
        this._width = width;
        this._height = height;
        if (!this._photo) return;
        const tex = this._photo.texture;
        const scale = Math.min(width / tex.width, height / tex.height) * this.overscan;
        const clip = this._clip;

        this.sprite.position.set(width / 2, height / 2);
        this.sprite.scale.set(scale);
        clip.width = tex.width / this.overscan;
        clip.height = tex.height / this.overscan;
        clip.x = -clip.width / 2;
        clip.y = -clip.height / 2;
    }

    /**
     * Zoom, for the motion presets: `zoom` is a radial parallax (fraction of the distance to the centre
     * per unit of depth from the focus, scaled by strength * maxShift like the lateral one), `magnify` a
     * plain magnification (fraction). dolly in: both > 0; dolly zoom: zoom only.
     */
    setZoom(zoom, magnify = 0)
    {
        this._zoom = zoom;
        this._magnify = magnify;
        this._updateShift();
    }

    setView(x, y)
    {
        this._x = x;
        this._y = y;
        this._updateShift();
    }

    get strength()
    {
        return this._strength;
    }

    set strength(value)
    {
        this._strength = value;
        this._updateShift();
    }

    get focus()
    {
        return this._focus;
    }

    set focus(value)
    {
        this._focus = value;
        if (this._filter) this._filter.focus = value;
    }

    _updateShift()
    {
        if (!this._filter) return;
        if (this._flat)
        {
            this._filter.setShift(0, 0, 1, 1);

            return;
        }
        const k = this._strength * this.maxShift;

        this._filter.setShift(this._x * k, this._y * k * this._aspect, this._texW, this._texH,
            this._zoom * k * 4, this._magnify);
    }

    destroy()
    {
        this._generation++;
        this.sprite.filters = null;
        this._filter?.destroy();
        for (const source of this._layerTextures) source.destroy();
        this._photo?.texture.destroy(true);
        this._photo = this._filter = null;
        this._layerTextures = [];
        this.view.destroy({ children: true });
    }
}
