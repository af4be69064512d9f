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
// Instead of reading d at uv itself (which drags background pixels along with a near object's
// edge), the shader marches the depth layers from near (1) to far (0) and takes the first layer
// the depth map reaches: the nearest surface that lands on this pixel, so near things occlude
// far ones. For a flat or gently sloped depth map this equals the one-sample formula.
// Only photo pixels are ever sampled: coordinates are clamped to the photo, and the texture
// gradients of the undisplaced uv keep mip selection steady across depth edges.
export const fragment = `#version 300 es
in vec2 vPhotoUv;
out vec4 finalColor;

uniform sampler2D uPhoto;
uniform sampler2D uDepth;

uniform vec2 uShift;   // view offset * strength * max shift, photo uv units (y corrected for aspect)
uniform float uFocus;  // depth (0 far .. 1 near) that stays still

const int STEPS = 16;

void main(void)
{
    vec2 uv = vPhotoUv;
    vec2 src = uv + uShift * (1.0 - uFocus);
    float prevLayer = 1.0;
    float prevGap = 0.0;

    // Layer 1.0 is step 0; each step moves one 1/STEPS layer farther.
    for (int i = 0; i <= STEPS; i++)
    {
        float layer = 1.0 - float(i) / float(STEPS);
        vec2 p = uv + uShift * (layer - uFocus);
        float gap = texture(uDepth, clamp(p, 0.0, 1.0)).r - layer;

        if (gap >= 0.0)
        {
            // Hit between the previous layer (surface below it) and this one: interpolate.
            float t = i == 0 ? 1.0 : prevGap / (prevGap + gap);
            src = uv + uShift * (mix(prevLayer, layer, t) - uFocus);
            break;
        }
        prevLayer = layer;
        prevGap = -gap;
        src = p;
    }

    finalColor = textureGrad(uPhoto, clamp(src, 0.0, 1.0), dFdx(uv), dFdy(uv));
}
`;
