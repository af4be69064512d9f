// The march: where the surface seen at uv comes from, in one depth layer. A pixel of depth d moves by
// -shift * (d - uFocus) (photo uv units), so the output at uv shows the photo at base + shift * (d - uFocus),
// where d is the depth of the surface seen there; shift is the lateral parallax plus the radial one of a zoom,
// base is uv magnified about the centre, both constant along the march. Reading d at uv itself (the one-sample
// formula of PixiJS' DisplacementFilter) keeps silhouettes in place and drags background along a near object's
// edge; instead the march steps through the depth layers from near to far (only between the nearest and
// farthest depth, uDepthRange), takes the first layer the depth map reaches (the nearest surface that lands on
// this pixel, so near things occlude far ones) and refines it by bisection. For a flat or gently sloped depth
// map this equals the one-sample formula.
// Where the ray meets a cliff (a depth edge: the hit lies far below the surface it hits) the pixel is a hole the
// near object uncovered; it takes the background just beside the edge, i.e. the hole is filled by stretching the
// background rather than smearing the object's rim into it. Depth is sampled nearest so that edges stay cliffs.
//
// One chunk, included by every program that draws the scene (py/diorama/shader.py fills in the constants of
// py/diorama/options.py): the page's renderer (web/render/shaders.js) and the single-file 3D photo
// (py/diorama/templates/photo-3d.html). The including program declares
//   uniform sampler2D uPhoto; uniform float uFocus; uniform vec2 uShift, uZoom, uDepthRange;
//   float depthAt(vec2 p, int layer);   // depth (1 = near) of layer 0 (front) or 1 (back) at photo uv p
//   ivec2 depthSize();                  // the depth's size in texels
// uShift: view offset * strength * MAX_SHIFT, photo uv units (y scaled by the photo's aspect); uZoom: (radial
// parallax, magnification), photo uv units per unit of (uv - centre); uDepthRange: (nearest, farthest) depth.

const int MAX_STEPS = {{MAX_STEPS}};   // layers marched at most
const int REFINE = 5;         // bisection steps after the first hit
const float CLIFF = {{CLIFF}};    // depth jump that counts as an edge (options.py CLIFF)

// Layers to march: about one per two photo texels of travel across the depth range (2..MAX_STEPS), so small
// shifts cost few reads.
float marchSteps(vec2 shift, float radial)
{
    vec2 size = vec2(textureSize(uPhoto, 0));
    float travel = (length(shift * size) + 0.5 * abs(radial) * max(size.x, size.y)) * (uDepthRange.x - uDepthRange.y);

    return clamp(ceil(travel / 2.0), 2.0, float(MAX_STEPS));
}

vec2 march(vec2 uv, int layer)
{
    vec2 radial = uv - 0.5;
    vec2 shift = uShift - radial * uZoom.x;
    vec2 base = uv - radial * uZoom.y;

    if (shift == vec2(0.0)) return base;

    // the first layer (near to far) at or below the depth map: hi; lo is the layer before
    float steps = marchSteps(uShift, uZoom.x);
    float hi = uDepthRange.x;
    float lo = hi;

    for (int i = 0; i <= MAX_STEPS; i++)
    {
        if (float(i) > steps) break;
        hi = mix(uDepthRange.x, uDepthRange.y, float(i) / steps);
        if (depthAt(base + shift * (hi - uFocus), layer) >= hi) break;
        lo = hi;
    }
    if (lo > hi)
    {
        for (int i = 0; i < REFINE; i++)
        {
            float mid = 0.5 * (lo + hi);

            if (depthAt(base + shift * (mid - uFocus), layer) >= mid) hi = mid;
            else lo = mid;
        }
    }
    vec2 src = base + shift * (hi - uFocus);

    // A cliff: take the far side of the edge (lo: the last layer still above the depth map), a texel and a half
    // beyond it, since photo and depth edges rarely align exactly.
    if (depthAt(src, layer) - hi > CLIFF)
    {
        vec2 texel = max(1.0 / vec2(textureSize(uPhoto, 0)), 1.0 / vec2(depthSize()));

        src = base + shift * (lo - uFocus) + normalize(shift) * texel * 1.5;
    }

    return src;
}
