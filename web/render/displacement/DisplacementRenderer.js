// Depth displacement renderer: a photo sprite drawn through a depth-driven displacement filter.
//
// The seed is the "minimal 3D photo" trick (a depth map used as a PixiJS DisplacementFilter map,
// offset by the pointer); here it is a custom filter in the shape of PixiJS' own DisplacementFilter
// (src/filters/defaults/displacement): GlProgram.from + one named uniform group + texture resources,
// typed setters, and an apply() that allocates nothing.
//
// Unlike the stock filter it samples the photo texture itself rather than the filter's input
// (which is clipped to the canvas), so the few percent of photo hidden by the overscan scale are
// available to displaced samples and the edges never show background.

import * as PIXI from '../../vendor/pixi.min.mjs';
import { fragment, MAX_STEPS, vertex } from './shaders.js';

/**
 * Custom filter: output(uv) = photo(uv + shift * (depth - focus)), depth found by a short
 * near-to-far march (see shaders.js). Apply it to a Sprite showing the same photo.
 */
export class DepthDisplacementFilter extends PIXI.Filter
{
    /**
     * @param {{sprite: PIXI.Sprite, photo: PIXI.TextureSource, depth: PIXI.TextureSource,
     *          focus?: number}} options
     */
    constructor({ sprite, photo, depth, focus = 0.5, ...rest })
    {
        const depthUniforms = new PIXI.UniformGroup({
            uFilterMatrix: { value: new PIXI.Matrix(), type: 'mat3x3<f32>' },
            uShift: { value: new Float32Array(2), type: 'vec2<f32>' },
            uFocus: { value: focus, type: 'f32' },
            uDepthRange: { value: new Float32Array([1, 0]), type: 'vec2<f32>' },
            uSteps: { value: MAX_STEPS, type: 'f32' },
        });
        const glProgram = PIXI.GlProgram.from({
            vertex,
            fragment,
            name: 'diorama-depth-displacement',
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
                uDepth: depth,
                uDepthSampler: depth.style,
            },
        });
        this._sprite = sprite;
    }

    /**
     * Point the filter at new textures (same sprite).
     * @param {PIXI.TextureSource} photo
     * @param {PIXI.TextureSource} depth
     */
    setSources(photo, depth)
    {
        this.resources.uPhoto = photo;
        this.resources.uPhotoSampler = photo.style;
        this.resources.uDepth = depth;
        this.resources.uDepthSampler = depth.style;
    }

    /**
     * Nearest and farthest depth (0..1) in the map: the march covers only this span.
     * @param {number} near
     * @param {number} far
     */
    setDepthRange(near, far)
    {
        const range = this.resources.depthUniforms.uniforms.uDepthRange;

        range[0] = near;
        range[1] = far;
    }

    /**
     * Set the displacement (photo uv units): a pixel of depth d moves by -(x, y) * (d - focus).
     * The number of layers marched follows the travel across the depth range, about one per two
     * photo texels (2..MAX_STEPS), so small shifts cost few texture reads.
     * @param {number} x
     * @param {number} y
     * @param {number} texelsPerUnitX  photo width in texels
     * @param {number} texelsPerUnitY  photo height in texels
     */
    setShift(x, y, texelsPerUnitX, texelsPerUnitY)
    {
        const uniforms = this.resources.depthUniforms.uniforms;
        const shift = uniforms.uShift;
        const range = uniforms.uDepthRange;
        const travel = Math.hypot(x * texelsPerUnitX, y * texelsPerUnitY) * (range[0] - range[1]);

        shift[0] = x;
        shift[1] = y;
        uniforms.uSteps = Math.min(MAX_STEPS, Math.max(2, Math.ceil(travel / 2)));
    }

    /** Depth (0 far .. 1 near) that stays still. */
    get focus()
    {
        return this.resources.depthUniforms.uniforms.uFocus;
    }

    set focus(value)
    {
        this.resources.depthUniforms.uniforms.uFocus = value;
    }

    /** @internal per frame: maps filter coordinates to the sprite's photo uv; allocates nothing. */
    apply(filterManager, input, output, clearMode)
    {
        filterManager.calculateSpriteMatrix(this.resources.depthUniforms.uniforms.uFilterMatrix, this._sprite);
        filterManager.applyFilter(this, input, output, clearMode);
    }
}

/** Copy an 8-bit depth map (W*H) into RGBA texels (R = G = B = depth; RGBA rows need no unpack
 * alignment care for any width) and find its range. Accepts Uint8Array/Uint8ClampedArray (0..255)
 * or Float32Array (0..1), or texels already expanded (W*H*4, as the pipeline worker sends them, so
 * this loop stays off the UI thread) together with depth.near / depth.far.
 * @returns {{rgba: Uint8Array, near: number, far: number}} near/far: max/min depth, 0..1
 */
function depthToRgba(depth, data, width, height)
{
    const n = width * height;

    if (data.length === n * 4) return { rgba: data, near: depth.near, far: depth.far };
    const rgba = new Uint8Array(n * 4);
    const float = data instanceof Float32Array;
    let lo = 255;
    let hi = 0;

    for (let i = 0, j = 0; i < n; i++, j += 4)
    {
        const v = float ? Math.round(Math.min(1, Math.max(0, data[i])) * 255) : data[i];

        if (v < lo) lo = v;
        if (v > hi) hi = v;
        rgba[j] = v; rgba[j + 1] = v; rgba[j + 2] = v; rgba[j + 3] = 255;
    }

    return { rgba, near: hi / 255, far: lo / 255 };
}

function checkImage(what, image, channels)
{
    const ok = image && Number.isInteger(image.width) && Number.isInteger(image.height)
        && image.width > 0 && image.height > 0;

    if (!ok) throw new TypeError(`${what} needs positive integer width and height`);
    const field = what === 'photo' ? 'rgba' : 'data';
    const data = image[field];

    if (!data || data.length !== image.width * image.height * channels)
    {
        throw new TypeError(`${what}.${field} must hold ${image.width}*${image.height}*${channels} values, `
            + `got ${data ? data.length : data}`);
    }

    return data;
}

/**
 * Owns the photo sprite, its textures and the filter; knows nothing of the page, the loop or input.
 * The viewer puts `view` on its stage, calls `layout` on resize and `setView` when the eased view
 * offset changes.
 */
export class DisplacementRenderer
{
    static defaultOptions = {
        /** Parallax between depth 0 and 1 at strength 1 and a view offset of 1, fraction of photo width. */
        maxShift: 0.04,
        /** Sprite scale over the fitted size, so displaced edges sample hidden photo, not background. */
        overscan: 1.04,
        strength: 0.5,
        focus: 0.5,
    };

    constructor(options = {})
    {
        const o = { ...DisplacementRenderer.defaultOptions, ...options };

        this.maxShift = o.maxShift;
        this.overscan = o.overscan;
        this._strength = o.strength;
        this._x = 0;
        this._y = 0;
        this._aspect = 1;            // photo width / height
        this._photo = null;          // {texture, key} key = the caller's rgba array
        this._depth = null;          // {texture}
        this._filter = null;
        this._focus = o.focus;
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
        this.view.addChild(this.sprite);
    }

    get hasPhoto()
    {
        return this._photo !== null;
    }

    /**
     * Show a photo with its depth map; frees the textures of the previous one. Passing the same
     * photo object (same rgba array) again only replaces the depth. depth may be null: flat.
     * @param {{rgba: Uint8Array|Uint8ClampedArray, width: number, height: number}} photo
     * @param {{data: Uint8Array, width: number, height: number}|null} depth  255 = near
     */
    setPhoto(photo, depth)
    {
        const rgba = checkImage('photo', photo, 4);
        const depthData = depth ? checkImage('depth', depth, depth.data?.length === depth.width * depth.height * 4 ? 4 : 1) : null;
        const oldPhoto = this._photo;
        const oldDepth = this._depth;

        let photoEntry = oldPhoto;

        if (!oldPhoto || oldPhoto.key !== rgba || oldPhoto.texture.width !== photo.width
            || oldPhoto.texture.height !== photo.height)
        {
            const bytes = rgba instanceof Uint8Array ? rgba : new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
            const source = new PIXI.BufferImageSource({
                resource: bytes,
                width: photo.width,
                height: photo.height,
                format: 'rgba8unorm',
                alphaMode: 'premultiply-alpha-on-upload',
                autoGenerateMipmaps: true,       // smooth downscaling of large photos
                mipmapFilter: 'linear',
                scaleMode: 'linear',
                addressMode: 'clamp-to-edge',
                label: 'diorama photo',
            });

            photoEntry = { texture: new PIXI.Texture({ source }), key: rgba };
        }

        const dw = depth ? depth.width : 1;
        const dh = depth ? depth.height : 1;
        // no depth map yet: a 1x1 placeholder; the shift is held at 0 (no parallax)
        const texels = depthData ? depthToRgba(depth, depthData, dw, dh)
            : { rgba: new Uint8Array([128, 128, 128, 255]), near: 0.5, far: 0.5 };
        const depthSource = new PIXI.BufferImageSource({
            resource: texels.rgba,
            width: dw,
            height: dh,
            format: 'rgba8unorm',
            alphaMode: 'no-premultiply-alpha',
            scaleMode: 'nearest',              // keep depth edges sharp (see shaders.js)
            addressMode: 'clamp-to-edge',
            label: 'diorama depth',
        });

        this._photo = photoEntry;
        this._depth = { texture: new PIXI.Texture({ source: depthSource }), flat: !depthData };
        this._aspect = photo.width / photo.height;

        this.sprite.texture = photoEntry.texture;
        this.sprite.visible = true;
        if (this._filter)
        {
            this._filter.setSources(photoEntry.texture.source, depthSource);
        }
        else
        {
            this._filter = new DepthDisplacementFilter({
                sprite: this.sprite,
                photo: photoEntry.texture.source,
                depth: depthSource,
                focus: this._focus,
            });
            this.sprite.filters = [this._filter];
        }
        this._filter.setDepthRange(texels.near, texels.far);
        this._texW = photo.width;
        this._texH = photo.height;

        if (oldPhoto && oldPhoto !== photoEntry) oldPhoto.texture.destroy(true);
        if (oldDepth) oldDepth.texture.destroy(true);

        this.layout(this._width, this._height);
        this._updateShift();
    }

    /**
     * Fit the photo inside a (width, height) canvas, letterboxed and centred. The sprite is scaled
     * by overscan, so displaced edges sample hidden photo, and the filter is clipped to the photo's
     * fitted box, so the overscan never shows in the letterbox. The canvas keeps the host's size
     * whatever the photo's aspect: resizing a WebGL canvas per photo stalls the UI thread.
     */
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
        // local (texture px, anchor at the centre) rectangle that lands on the fitted box
        clip.width = tex.width / this.overscan;
        clip.height = tex.height / this.overscan;
        clip.x = -clip.width / 2;
        clip.y = -clip.height / 2;
    }

    /** Eased view offset, each in -1..1. */
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
        if (this._depth.flat)
        {
            this._filter.setShift(0, 0, 1, 1);

            return;
        }
        const k = this._strength * this.maxShift;

        // uv units: x is a fraction of the width; y is scaled so equal offsets move equal pixels.
        this._filter.setShift(this._x * k, this._y * k * this._aspect, this._texW, this._texH);
    }

    destroy()
    {
        this.sprite.filters = null;
        this._filter?.destroy();
        this._photo?.texture.destroy(true);
        this._depth?.texture.destroy(true);
        this._photo = this._depth = this._filter = null;
        this.view.destroy({ children: true });
    }
}
