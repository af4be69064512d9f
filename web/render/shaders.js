// GLSL ES 3.00 sources of the renderer's depth filter, inlined so the renderer costs no extra requests.
// Like three.js' ShaderChunk: the march is one named chunk (`march`), and the fragment shader is a short
// main() around it, so the 'layered' and 'displacement' looks share every line of it (they differ only
// in the textures bound: see Renderer.js), and so does the single-file 3D photo.
//
// `#version 300 es` must open both sources: PixiJS only treats a program as ES 3 when it does (it then
// moves the line back to the top after adding precision qualifiers); without it the source would be
// compiled as GLSL ES 1.00 through compatibility macros, and `textureGrad` would not exist.

import { march, MAX_STEPS } from './march.js';

// The march (where the surface seen at a pixel comes from, in one depth layer) is one chunk shared with the
// single-file 3D photo: py/diorama/templates/march.glsl, with the constants of py/diorama/options.py filled in,
// reaches this module as dist/render/march.js (written by build.py).
export { march, MAX_STEPS };

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
uniform vec2 uZoom;         // (radial parallax, magnification), photo uv units per unit of (uv - centre):
                            // a pixel of depth d moves outward by (uv - centre) * (x * (d - uFocus) + y)

float depthAt(vec2 p, int layer)
{
    vec4 depths = texture(uLayers, clamp(p, 0.0, 1.0));

    return layer == 0 ? depths.r : depths.g;
}

ivec2 depthSize()
{
    return textureSize(uLayers, 0);
}
${march}
void main(void)
{
    vec2 uv = vPhotoUv;
    vec2 gx = dFdx(uv);     // gradients of the undisplaced uv: steady mip selection across edges
    vec2 gy = dFdy(uv);
    bool moving = uShift != vec2(0.0) || uZoom != vec2(0.0);
    vec2 src = clamp(moving ? march(uv, 0) : uv, 0.0, 1.0);
    vec4 colour = textureGrad(uPhoto, src, gx, gy) * textureGrad(uBack, src, gx, gy).a;

    if (colour.a < 0.998)
    {
        vec2 backSrc = moving ? march(uv, 1) : uv;

        colour += (1.0 - colour.a) * vec4(textureGrad(uBack, clamp(backSrc, 0.0, 1.0), gx, gy).rgb, 1.0);
    }
    finalColor = colour;
}
`;
