// GLSL ES 3.00 fragment shader of the layered renderer (the vertex shader is the displacement
// renderer's: the filter quad plus the photo sprite's own uv).
//
// Two layers share one pass. Each is marched exactly like the displacement renderer's single layer
// (near-to-far layers, bisection, cliffs take the far side of the edge: see ../displacement/shaders.js):
//   front: the photo, its refined depth (uLayers.r) and opacity (uBack.a, sampled linearly for a smooth
//          cut; 0 in a thin strip just
//          beyond every near edge);
//   back:  the photo with the background filled in behind every near edge (uBack), its depth (uLayers.g).
// The front is drawn over the back ("over", premultiplied). Where the view uncovers the background next
// to a near edge, the front's march lands in its transparent strip, so the back shows there: its depth is
// continuous across the old edge and its colour continues the background, so nothing is stretched.
// The back is only marched where the front is not opaque (a few percent of pixels), so the frame costs
// little more than the displacement renderer's.
import { MAX_STEPS } from '../displacement/shaders.js';

export { vertex, MAX_STEPS } from '../displacement/shaders.js';

export const fragment = `#version 300 es
in vec2 vPhotoUv;
out vec4 finalColor;

uniform sampler2D uPhoto;   // the photo (the front layer's colour)
uniform sampler2D uBack;    // RGB: the filled background layer (opaque); A: the front's opacity
uniform sampler2D uLayers;  // R: front depth, G: back depth (1 = near), A: front opacity; sampled nearest

uniform vec2 uShift;        // view offset * strength * max shift, photo uv units (y corrected for aspect)
uniform float uFocus;       // depth (0 far .. 1 near) that stays still
uniform vec2 uDepthRange;   // (nearest, farthest) depth of either layer: the span worth marching
uniform float uSteps;       // layers to march, <= MAX_STEPS
uniform vec2 uZoom;         // (radial parallax, magnification), photo uv units per unit of (uv - centre):
                            // a pixel of depth d moves outward by (uv - centre) * (x * (d - uFocus) + y)

const int MAX_STEPS = ${MAX_STEPS};
const int REFINE = 5;
const float CLIFF = 0.1;

float depthAt(vec2 p, vec4 channel)
{
    return dot(texture(uLayers, clamp(p, 0.0, 1.0)), channel);
}

// Where the surface seen at uv comes from, in one layer (channel picks its depth). The surface at depth h
// seen at uv comes from base + shift * (h - uFocus): shift (the lateral parallax plus the radial one of a
// zoom) and base (uv, magnified about the centre) are constant along the march.
vec2 march(vec2 uv, vec4 channel)
{
    vec2 radial = uv - 0.5;
    vec2 shift = uShift - radial * uZoom.x;
    vec2 base = uv - radial * uZoom.y;

    if (shift == vec2(0.0)) return base;

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

    if (depthAt(src, channel) - hi > CLIFF)
    {
        vec2 texel = max(1.0 / vec2(textureSize(uPhoto, 0)), 1.0 / vec2(textureSize(uLayers, 0)));

        src = base + shift * (lo - uFocus) + normalize(shift) * texel * 1.5;
    }

    return src;
}

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
