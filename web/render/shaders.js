// GLSL ES 3.00 sources of the renderer's depth filter, inlined so the renderer costs no extra requests.
// Like three.js' ShaderChunk: the march is one named chunk (`march`), and the fragment shader is a short
// main() around it, so the 'layered' and 'displacement' looks share every line of it (they differ only
// in the textures bound: see Renderer.js).
//
// `#version 300 es` must open both sources: PixiJS only treats a program as ES 3 when it does (it then
// moves the line back to the top after adding precision qualifiers); without it the source would be
// compiled as GLSL ES 1.00 through compatibility macros, and `textureGrad` would not exist.

import { RENDER } from '../options.js';

/** Most depth layers the march takes (interpolated into the source). */
export const MAX_STEPS = 16;

// As PixiJS' displacement.vert: the filter quad plus `vPhotoUv`, the photo sprite's own texture
// coordinates (0..1 over the whole photo), mapped by `uFilterMatrix` (FilterSystem.calculateSpriteMatrix).
export const vertex = `#version 300 es
in vec2 aPosition;
out vec2 vPhotoUv;

uniform vec4 uInputSize;
uniform vec4 uOutputFrame;
uniform vec4 uOutputTexture;
uniform mat3 uFilterMatrix;

vec4 filterVertexPosition(void)
{
    vec2 position = aPosition * uOutputFrame.zw + uOutputFrame.xy;

    position.x = position.x * (2.0 / uOutputTexture.x) - 1.0;
    position.y = position.y * (2.0 * uOutputTexture.z / uOutputTexture.y) - uOutputTexture.z;

    return vec4(position, 0.0, 1.0);
}

vec2 filterTextureCoord(void)
{
    return aPosition * (uOutputFrame.zw * uInputSize.zw);
}

void main(void)
{
    gl_Position = filterVertexPosition();
    vPhotoUv = (uFilterMatrix * vec3(filterTextureCoord(), 1.0)).xy;
}
`;

// The march: where the surface seen at uv comes from, in one depth layer (`channel` picks its depth in
// uLayers). A pixel of depth d moves by -shift * (d - uFocus) (photo uv units), so the output at uv shows
// the photo at base + shift * (d - uFocus), where d is the depth of the surface seen there; shift is the
// lateral parallax plus the radial one of a zoom, base is uv magnified about the centre, both constant
// along the march. Reading d at uv itself (the one-sample formula of PixiJS' DisplacementFilter) keeps
// silhouettes in place and drags background along a near object's edge; instead the march steps through
// the depth layers from near to far (only between the nearest and farthest depth, uDepthRange), takes the
// first layer the depth map reaches (the nearest surface that lands on this pixel, so near things occlude
// far ones) and refines it by bisection. For a flat or gently sloped depth map this equals the one-sample
// formula.
// Where the ray meets a cliff (a depth edge: the hit lies far below the surface it hits) the pixel is a
// hole the near object uncovered; it takes the background just beside the edge, i.e. the hole is filled
// by stretching the background rather than smearing the object's rim into it. Depth is sampled nearest
// so that edges stay cliffs. Needs: uLayers, uPhoto, uFocus, uDepthRange, uSteps, uShift, uZoom.
export const march = `
const int MAX_STEPS = ${MAX_STEPS};   // layers marched at most
const int REFINE = 5;       // bisection steps after the first hit
const float CLIFF = ${RENDER.cliff.toFixed(6)};    // depth jump that counts as an edge (options.js RENDER)

float depthAt(vec2 p, vec4 channel)
{
    return dot(texture(uLayers, clamp(p, 0.0, 1.0)), channel);
}

vec2 march(vec2 uv, vec4 channel)
{
    vec2 radial = uv - 0.5;
    vec2 shift = uShift - radial * uZoom.x;
    vec2 base = uv - radial * uZoom.y;

    if (shift == vec2(0.0)) return base;

    // the first layer (near to far) at or below the depth map: hi; lo is the layer before
    float hi = uDepthRange.x;
    float lo = hi;

    for (int i = 0; i <= MAX_STEPS; i++)
    {
        if (float(i) > uSteps) break;
        hi = mix(uDepthRange.x, uDepthRange.y, float(i) / uSteps);
        if (depthAt(base + shift * (hi - uFocus), channel) >= hi) break;
        lo = hi;
    }
    if (lo > hi)
    {
        for (int i = 0; i < REFINE; i++)
        {
            float mid = 0.5 * (lo + hi);

            if (depthAt(base + shift * (mid - uFocus), channel) >= mid) hi = mid;
            else lo = mid;
        }
    }
    vec2 src = base + shift * (hi - uFocus);

    // A cliff: take the far side of the edge (lo: the last layer still above the depth map), a texel
    // and a half beyond it, since photo and depth edges rarely align exactly.
    if (depthAt(src, channel) - hi > CLIFF)
    {
        vec2 texel = max(1.0 / vec2(textureSize(uPhoto, 0)), 1.0 / vec2(textureSize(uLayers, 0)));

        src = base + shift * (lo - uFocus) + normalize(shift) * texel * 1.5;
    }

    return src;
}
`;

// Two layers in one pass, each marched through its own depth channel:
//   front: the photo, its depth (uLayers.r) and opacity (uBack.a, sampled linearly for a smooth cut;
//          0 in a thin strip just beyond every near edge);
//   back:  the photo with the background filled in behind every near edge (uBack.rgb), its depth (uLayers.g).
// The front is drawn over the back ("over", premultiplied). Where the view uncovers the background next to
// a near edge, the front's march lands in its transparent strip, so the back shows there: its depth is
// continuous across the old edge and its colour continues the background, so nothing is stretched. The
// back is only marched where the front is not opaque (a few percent of pixels).
// With uBack = the photo (A = 1 everywhere) and uLayers = the plain grey depth texels (R = G = depth) the
// front is opaque everywhere: one layer, the 'displacement' look.
// Only photo pixels are ever sampled: coordinates are clamped to the photo, and the texture gradients of
// the undisplaced uv keep mip selection steady across depth edges.
export const fragment = `#version 300 es
in vec2 vPhotoUv;
out vec4 finalColor;

uniform sampler2D uPhoto;   // the photo (the front layer's colour)
uniform sampler2D uBack;    // RGB: the filled background layer (opaque); A: the front's opacity
uniform sampler2D uLayers;  // R: front depth, G: back depth (1 = near); sampled nearest

uniform vec2 uShift;        // view offset * strength * max shift, photo uv units (y corrected for aspect)
uniform float uFocus;       // depth (0 far .. 1 near) that stays still
uniform vec2 uDepthRange;   // (nearest, farthest) depth of either layer: the span worth marching
uniform float uSteps;       // layers to march, <= MAX_STEPS: about one per two texels of travel
uniform vec2 uZoom;         // (radial parallax, magnification), photo uv units per unit of (uv - centre):
                            // a pixel of depth d moves outward by (uv - centre) * (x * (d - uFocus) + y)
${march}
void main(void)
{
    vec2 uv = vPhotoUv;
    vec2 gx = dFdx(uv);     // gradients of the undisplaced uv: steady mip selection across edges
    vec2 gy = dFdy(uv);
    bool moving = uShift != vec2(0.0) || uZoom != vec2(0.0);
    vec2 src = clamp(moving ? march(uv, vec4(1.0, 0.0, 0.0, 0.0)) : uv, 0.0, 1.0);
    vec4 colour = textureGrad(uPhoto, src, gx, gy) * textureGrad(uBack, src, gx, gy).a;

    if (colour.a < 0.998)
    {
        vec2 backSrc = moving ? march(uv, vec4(0.0, 1.0, 0.0, 0.0)) : uv;

        colour += (1.0 - colour.a) * vec4(textureGrad(uBack, clamp(backSrc, 0.0, 1.0), gx, gy).rgb, 1.0);
    }
    finalColor = colour;
}
`;
