"""The layered scene as a textured 3D mesh, written as binary glTF 2.0 (``.glb``).

The two layers of :func:`diorama.layers.split_layers` become two grid meshes, one vertex every
`step` pixels (at most :data:`MAX_VERTICES` in all):

- the **front** mesh is the photo on its depth, with every triangle that spans a depth edge (its
  corners' depths differ by more than ``threshold``, the renderer's cliff) left out, so the front never
  stretches from a near object into what is behind it;
- the **back** mesh is the inpainted background (colour and depth filled behind every near edge), whole,
  a little behind the front: where the front is cut, the background shows, as in the app.

Coordinates (glTF: metres, +y up, the camera of the photo looks down -z): the photo's long side spans 1,
centred on the origin, and depth d (1 = near) is displaced to ``z = relief * (d - 1)``: the nearest depth
at z = 0, the farthest ``relief`` behind it. The renderer's parallax is linear in d (a pixel moves by
``MAX_SHIFT * (d - focus)``), which is what a relief map linear in d gives when it is turned a little, so
the mesh seen from nearly in front looks like the app. Both layers are unlit (``KHR_materials_unlit``):
they look like the photo in any viewer, whatever its lights.

The container is written by hand (:func:`encode_glb`): a JSON chunk and one BIN chunk holding the vertex
data, the indices and the two textures as JPEG, every part 4-byte aligned.
"""

from __future__ import annotations

import io
import json
import struct

import numpy as np
from PIL import Image

from .depthmap import as_depth
from .options import CLIFF

__all__ = ["MAX_VERTICES", "RELIEF", "encode_glb", "grid_step", "grid_triangles", "layered_glb", "triangles_within"]

RELIEF = 0.25
"""Depth of the mesh from its nearest to its farthest point, in units of the photo's long side."""

MAX_VERTICES = 300_000
"""Most vertices of both layers together (the grid step is chosen for it)."""

BACK_GAP = 0.004
"""How far the back mesh lies behind the front where both have the same depth (long-side units): enough
for a 24-bit depth buffer seen from a few long sides away, too little to see."""

_FLOAT, _UINT16, _UINT32 = 5126, 5123, 5125  # glTF accessor componentType (the GL enums)
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_LINEAR, _LINEAR_MIPMAP_LINEAR, _CLAMP_TO_EDGE = 9729, 9987, 33071
_GLB_MAGIC, _JSON_CHUNK, _BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942  # 'glTF', 'JSON', 'BIN\0'


def grid_step(shape: tuple[int, int], max_vertices: int) -> int:
    """The smallest grid step (pixels) whose grid over `shape` has at most `max_vertices` vertices.

    Examples
    --------
    >>> grid_step((1536, 2048), 150_000), grid_step((10, 10), 1000)
    (5, 1)
    """
    h, w = shape
    if max_vertices < 4:
        raise ValueError(f"max_vertices must be at least 4, got {max_vertices}")
    step = max(1, int(np.sqrt(h * w / max_vertices)))
    while ((h - 1) // step + 2) * ((w - 1) // step + 2) > max_vertices:
        step += 1
    return step


def _grid_lines(n: int, step: int) -> np.ndarray:
    """Pixel indices 0, step, 2 step, ... and always the last one, n - 1."""
    lines = np.arange(0, n, step)
    return lines if lines[-1] == n - 1 else np.append(lines, n - 1)


def grid_triangles(rows: int, cols: int) -> np.ndarray:
    """Two triangles per cell of a ``rows`` x ``cols`` vertex grid (row-major vertex numbers).

    Returns
    -------
    (2 (rows - 1) (cols - 1), 3) ndarray of uint32
        Counter-clockwise seen from +z with row 0 at the top (+y), i.e. facing the camera.

    Examples
    --------
    >>> grid_triangles(2, 3).tolist()
    [[0, 3, 1], [1, 3, 4], [1, 4, 2], [2, 4, 5]]
    """
    top_left = (np.arange(rows - 1)[:, None] * cols + np.arange(cols - 1)[None, :]).ravel().astype(np.uint32)
    tl, tr, bl, br = top_left, top_left + 1, top_left + cols, top_left + cols + 1
    return np.stack([np.stack([tl, bl, tr], 1), np.stack([tr, bl, br], 1)], 1).reshape(-1, 3)


def triangles_within(triangles: np.ndarray, vertex_depth: np.ndarray, threshold: float) -> np.ndarray:
    """The triangles whose corners' depths differ by at most `threshold` (the others span a depth edge).

    Examples
    --------
    >>> triangles_within(np.array([[0, 1, 2], [1, 2, 3]]), np.array([0.5, 0.5, 0.52, 0.9]), 0.1).tolist()
    [[0, 1, 2]]
    """
    corners = vertex_depth[triangles]
    return triangles[corners.max(axis=1) - corners.min(axis=1) <= threshold]


def _jpeg(rgb: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def layered_glb(
    photo,
    front_depth,
    back_rgb,
    back_depth,
    *,
    relief: float = RELIEF,
    threshold: float = CLIFF,
    max_vertices: int = MAX_VERTICES,
    quality: int = 90,
) -> bytes:
    """A binary glTF of a layered scene: the photo on its depth, cut at depth edges, over the filled background.

    Parameters
    ----------
    photo : (H, W, 3) uint8 array_like
        The front layer's colour (the photo).
    front_depth : (H, W) array_like
        Its depth, 1 = near (the renderer's: refined, :func:`diorama.refine.refine_depth`).
    back_rgb : (H, W, 3) uint8 array_like
        The back layer's colour (:attr:`diorama.layers.Layers.background_rgb`).
    back_depth : (H, W) array_like
        Its depth, 1 = near (:attr:`diorama.layers.Layers.background_depth`).
    relief : float, optional
        Depth span of the mesh in units of the long side: ``z = relief * (d - 1)``.
    threshold : float, optional
        Front triangles whose corners' depths differ by more than this are left out (a depth edge).
    max_vertices : int, optional
        Most vertices of both meshes together; the grid step follows from it.
    quality : int, optional
        JPEG quality of the two textures.

    Returns
    -------
    bytes
        The ``.glb`` file: two nodes, ``front`` and ``back``, one mesh and one unlit textured material each.

    Notes
    -----
    Vertices sit on pixel centres every `step` pixels (and on the last row and column), sampling the
    depth there; both meshes share their texture coordinates. Cost: O(H W / step**2) plus the two JPEGs.
    """
    rgb, back = np.asarray(photo), np.asarray(back_rgb)
    front_d, back_d = as_depth(front_depth, name="front_depth"), as_depth(back_depth, name="back_depth")
    h, w = front_d.shape
    for name, a in (("photo", rgb), ("back_rgb", back)):
        if a.shape != (h, w, 3) or a.dtype != np.uint8:
            raise ValueError(f"{name} must be (H, W, 3) uint8 matching depth {(h, w)}, got {a.shape} {a.dtype}")
    if back_d.shape != (h, w):
        raise ValueError(f"back_depth must match front_depth {(h, w)}, got {back_d.shape}")

    ys, xs = _grid_lines(h, grid_step((h, w), max_vertices // 2)), _grid_lines(w, grid_step((h, w), max_vertices // 2))
    long_side = max(h, w)
    gx, gy = np.meshgrid((xs + 0.5 - w / 2) / long_side, (h / 2 - ys - 0.5) / long_side)
    front_at, back_at = front_d[np.ix_(ys, xs)].ravel(), back_d[np.ix_(ys, xs)].ravel()
    plane = np.stack([gx.ravel(), gy.ravel()], 1)

    def positions(depth_at, behind):
        return np.concatenate([plane, (relief * (depth_at - 1) - behind)[:, None]], 1).astype(np.float32)

    u, v = np.meshgrid((xs + 0.5) / w, (ys + 0.5) / h)
    uvs = np.stack([u.ravel(), v.ravel()], 1).astype(np.float32)
    triangles = grid_triangles(len(ys), len(xs))
    index_type = np.uint16 if len(uvs) <= 65536 else np.uint32
    parts = [  # (name, array or bytes, accessor type or image MIME type, bufferView target)
        ("front POSITION", positions(front_at, 0.0), "VEC3", _ARRAY_BUFFER),
        ("back POSITION", positions(back_at, BACK_GAP), "VEC3", _ARRAY_BUFFER),
        ("TEXCOORD_0", uvs, "VEC2", _ARRAY_BUFFER),
        (
            "front indices",
            triangles_within(triangles, front_at, threshold).astype(index_type),
            "SCALAR",
            _ELEMENT_ARRAY_BUFFER,
        ),
        ("back indices", triangles.astype(index_type), "SCALAR", _ELEMENT_ARRAY_BUFFER),
        ("front texture", _jpeg(rgb, quality), "image/jpeg", None),
        ("back texture", _jpeg(back, quality), "image/jpeg", None),
    ]

    binary, views, accessors, images = bytearray(), [], [], []
    for name, data, kind, target in parts:
        raw = data if isinstance(data, bytes) else data.tobytes()
        view = {"buffer": 0, "byteOffset": len(binary), "byteLength": len(raw), "name": name}
        if target is not None:
            view["target"] = target
        binary += raw + b"\0" * (-len(raw) % 4)
        views.append(view)
        if target is None:
            images.append({"bufferView": len(views) - 1, "mimeType": kind, "name": name})
            continue
        accessor = {
            "bufferView": len(views) - 1,
            "componentType": {np.dtype(np.float32): _FLOAT, np.dtype(np.uint16): _UINT16, np.dtype(np.uint32): _UINT32}[
                data.dtype
            ],
            "count": int(data.size if kind == "SCALAR" else len(data)),
            "type": kind,
            "name": name,
        }
        if name.endswith("POSITION"):
            accessor["min"] = data.min(axis=0).tolist()
            accessor["max"] = data.max(axis=0).tolist()
        accessors.append(accessor)

    def layer(index, name):  # accessors: 0, 1 positions; 2 uv; 3, 4 indices. Images: 0, 1.
        return {
            "name": name,
            "primitives": [
                {"attributes": {"POSITION": index, "TEXCOORD_0": 2}, "indices": 3 + index, "material": index, "mode": 4}
            ],
        }

    document = {
        "asset": {"version": "2.0", "generator": "diorama"},
        "extensionsUsed": ["KHR_materials_unlit"],
        "scene": 0,
        "scenes": [{"name": "3D photo", "nodes": [0, 1]}],
        "nodes": [{"name": "front", "mesh": 0}, {"name": "back", "mesh": 1}],
        "meshes": [layer(0, "front"), layer(1, "back")],
        "materials": [
            {
                "name": name,
                "pbrMetallicRoughness": {
                    "baseColorTexture": {"index": i},
                    "metallicFactor": 0.0,
                    "roughnessFactor": 1.0,
                },
                "extensions": {"KHR_materials_unlit": {}},
            }
            for i, name in enumerate(("front", "back"))
        ],
        "samplers": [
            {"magFilter": _LINEAR, "minFilter": _LINEAR_MIPMAP_LINEAR, "wrapS": _CLAMP_TO_EDGE, "wrapT": _CLAMP_TO_EDGE}
        ],
        "textures": [{"sampler": 0, "source": 0}, {"sampler": 0, "source": 1}],
        "images": images,
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(binary)}],
    }
    return encode_glb(document, bytes(binary))


def encode_glb(document: dict, binary: bytes) -> bytes:
    """The binary glTF container: a 12-byte header, the JSON chunk (space-padded) and the BIN chunk (zero-padded).

    Parameters
    ----------
    document : dict
        The glTF JSON; its single buffer (no ``uri``) is `binary`.
    binary : bytes
        The BIN chunk's content.

    Examples
    --------
    >>> glb = encode_glb({"asset": {"version": "2.0"}}, b"")
    >>> glb[:4], len(glb) % 4, struct.unpack_from("<I", glb, 8)[0] == len(glb)
    (b'glTF', 0, True)
    """
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), _JSON_CHUNK) + text
    if binary:
        padded = binary + b"\0" * (-len(binary) % 4)
        chunks += struct.pack("<II", len(padded), _BIN_CHUNK) + padded
    return struct.pack("<III", _GLB_MAGIC, 2, 12 + len(chunks)) + chunks
