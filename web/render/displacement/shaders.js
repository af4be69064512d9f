// GLSL ES 3.00 sources of the depth displacement filter, inlined so the renderer costs no extra requests.
//
// `#version 300 es` must open both sources: PixiJS only treats a program as ES 3 when it does (it then
// moves the line back to the top after adding precision qualifiers); without it the source would be
// compiled as GLSL ES 1.00 through compatibility macros, and `textureGrad` would not exist.

// Same as PixiJS' displacement.vert: the filter quad plus `vPhotoUv`, the photo sprite's own
// texture coordinates (0..1 over the whole photo), mapped by `uFilterMatrix`
// (FilterSystem.calculateSpriteMatrix).
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

// A pixel whose depth is d moves by -uShift * (d - uFocus) (in photo uv units), so the output at
// uv shows the photo at uv + uShift * (d - uFocus), where d is the depth of the surface seen there.
// Reading d at uv itself (the one-sample formula) keeps silhouettes in place and drags background
// along a near object's edge; instead the shader marches the depth layers from near (1) to far (0),
// (only between the map's nearest and farthest depth) takes the first layer the depth map reaches (the nearest surface that lands on this pixel, so
// near things occlude far ones) and refines it by bisection. For a flat or gently sloped depth map
// this equals the one-sample formula.
// Where the ray meets a cliff (a depth edge: the hit lies far below the surface it hits) the pixel
// is a hole the near object uncovered; it takes the background just beside the edge, i.e. the hole
// is filled by stretching the background rather than smearing the object's rim into it. Depth is
// sampled nearest so that edges stay cliffs.
// Only photo pixels are ever sampled: coordinates are clamped to the photo, and the texture
// gradients of the undisplaced uv keep mip selection steady across depth edges.
/** Most depth layers the fragment shader marches (interpolated into its source). */
export const MAX_STEPS = 16;

export const fragment = `#version 300 es
in vec2 vPhotoUv;
out vec4 finalColor;

uniform sampler2D uPhoto;
uniform sampler2D uDepth;

uniform vec2 uShift;   // view offset * strength * max shift, photo uv units (y corrected for aspect)
uniform float uFocus;  // depth (0 far .. 1 near) that stays still
uniform vec2 uDepthRange;  // (nearest, farthest) depth in the map: the span worth marching
uniform float uSteps;      // layers to march, <= MAX_STEPS: about one per two texels of travel

const int MAX_STEPS = ${MAX_STEPS};   // layers marched at most
const int REFINE = 5;       // bisection steps after the first hit
const float CLIFF = 0.1;    // depth jump that counts as an edge

float depthAt(vec2 p)
{
    return texture(uDepth, clamp(p, 0.0, 1.0)).r;
}

void main(void)
{
    vec2 uv = vPhotoUv;
    vec2 src = uv;

    if (uShift != vec2(0.0))
    {
        // Find the first layer (near to far) at or below the depth map: hi. lo is the layer before.
        float hi = uDepthRange.x;
        float lo = hi;

        for (int i = 0; i <= MAX_STEPS; i++)
        {
            if (float(i) > uSteps) break;
            hi = mix(uDepthRange.x, uDepthRange.y, float(i) / uSteps);
            if (depthAt(uv + uShift * (hi - uFocus)) >= hi) break;
            lo = hi;
        }
        if (lo > hi)
        {
            for (int i = 0; i < REFINE; i++)
            {
                float mid = 0.5 * (lo + hi);

                if (depthAt(uv + uShift * (mid - uFocus)) >= mid) hi = mid;
                else lo = mid;
            }
        }
        src = uv + uShift * (hi - uFocus);
        // A cliff: take the far side of the edge (lo: the last layer still above the depth map),
        // a texel and a half beyond it, since photo and depth edges rarely align exactly.
        if (depthAt(src) - hi > CLIFF)
        {
            vec2 texel = max(1.0 / vec2(textureSize(uPhoto, 0)), 1.0 / vec2(textureSize(uDepth, 0)));

            src = uv + uShift * (lo - uFocus) + normalize(uShift) * texel * 1.5;
        }
    }

    finalColor = textureGrad(uPhoto, clamp(src, 0.0, 1.0), dFdx(uv), dFdy(uv));
}
`;
