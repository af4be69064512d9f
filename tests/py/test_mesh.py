"""The layered scene as binary glTF (diorama.mesh), checked against the glTF 2.0 rules by validate_glb."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest
from diorama.bridge import Studio
from diorama.layers import renderer_layers, split_layers
from diorama.mesh import BACK_GAP, RELIEF, encode_glb, grid_triangles, layered_glb
from PIL import Image

# componentType -> (NumPy dtype); type -> components per element
COMPONENT_TYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def validate_glb(data: bytes) -> tuple[dict, bytes]:
    """Check a .glb file against the glTF 2.0 rules this project relies on; returns (JSON document, BIN chunk).

    Checks: the header (magic 'glTF', version 2, total length), the chunks (JSON first, then at most one BIN;
    lengths multiples of 4 and within the file; JSON padded with spaces), asset.version "2.0", every bufferView
    inside its buffer and every buffer inside the BIN chunk, every accessor inside its bufferView (count x
    element size, or the stride) with its componentType and type known, POSITION accessors with min/max that
    bound the data, index values below the primitive's vertex count, and every image present as a JPEG or PNG.
    """
    assert len(data) >= 12, "shorter than the 12-byte header"
    magic, version, length = struct.unpack_from("<III", data, 0)
    assert magic == 0x46546C67, "magic is not 'glTF'"
    assert version == 2, f"version {version}, not 2"
    assert length == len(data), f"header length {length} != file length {len(data)}"
    chunks, offset = [], 12
    while offset < length:
        assert offset + 8 <= length, "chunk header beyond the end"
        size, kind = struct.unpack_from("<II", data, offset)
        assert size % 4 == 0, f"chunk length {size} not a multiple of 4"
        assert offset + 8 + size <= length, "chunk beyond the end"
        chunks.append((kind, data[offset + 8 : offset + 8 + size]))
        offset += 8 + size
    assert chunks and chunks[0][0] == 0x4E4F534A, "the first chunk is not JSON"
    assert len(chunks) <= 2 and all(kind == 0x004E4942 for kind, _ in chunks[1:]), "more than JSON + one BIN chunk"
    text = chunks[0][1]
    assert text == text.rstrip(b" ") + b" " * (len(text) - len(text.rstrip(b" "))), "JSON not padded with spaces"
    document = json.loads(text.decode("utf-8"))
    binary = chunks[1][1] if len(chunks) > 1 else b""
    assert document["asset"]["version"] == "2.0"
    for i, buffer in enumerate(document.get("buffers", [])):
        if "uri" not in buffer:
            assert i == 0, "only buffer 0 may be the BIN chunk"
            assert buffer["byteLength"] <= len(binary) <= buffer["byteLength"] + 3, "buffer 0 != BIN chunk"
    buffers = document.get("buffers", [])
    views = document.get("bufferViews", [])
    for view in views:
        end = view.get("byteOffset", 0) + view["byteLength"]
        assert end <= buffers[view["buffer"]]["byteLength"], f"bufferView {view} beyond its buffer"
    accessors = document.get("accessors", [])
    arrays = []
    for accessor in accessors:
        dtype = np.dtype(COMPONENT_TYPES[accessor["componentType"]])
        per = COMPONENTS[accessor["type"]]
        view = views[accessor["bufferView"]]
        start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
        assert start % dtype.itemsize == 0, "accessor not aligned to its component size"
        element = dtype.itemsize * per
        stride = view.get("byteStride", element)
        needed = accessor.get("byteOffset", 0) + stride * (accessor["count"] - 1) + element
        assert needed <= view["byteLength"], f"accessor {accessor.get('name')} beyond its bufferView"
        assert stride == element, "this checker reads tightly packed accessors only"
        arrays.append(np.frombuffer(binary, dtype, accessor["count"] * per, start).reshape(accessor["count"], per))
    for mesh in document.get("meshes", []):
        for primitive in mesh["primitives"]:
            position = primitive["attributes"]["POSITION"]
            p = arrays[position]
            assert "min" in accessors[position] and "max" in accessors[position], "POSITION without min/max"
            assert np.array_equal(p.min(0), np.float32(accessors[position]["min"]))
            assert np.array_equal(p.max(0), np.float32(accessors[position]["max"]))
            assert all(len(arrays[a]) == len(p) for a in primitive["attributes"].values()), "attribute counts differ"
            if "indices" in primitive:
                indices = arrays[primitive["indices"]]
                assert accessors[primitive["indices"]]["componentType"] in (5121, 5123, 5125)
                assert "byteStride" not in views[accessors[primitive["indices"]]["bufferView"]]
                assert indices.size % 3 == 0 and (indices.size == 0 or indices.max() < len(p)), "index out of range"
    for image in document.get("images", []):
        view = views[image["bufferView"]]
        start = view.get("byteOffset", 0)
        payload = binary[start : start + view["byteLength"]]
        assert image["mimeType"] in ("image/jpeg", "image/png")
        Image.open(io.BytesIO(payload)).verify()
    for texture in document.get("textures", []):
        assert texture["source"] < len(document["images"])
    return document, binary


def accessor_array(document, binary, index):
    accessor = document["accessors"][index]
    view = document["bufferViews"][accessor["bufferView"]]
    per = COMPONENTS[accessor["type"]]
    dtype = COMPONENT_TYPES[accessor["componentType"]]
    return np.frombuffer(binary, dtype, accessor["count"] * per, view.get("byteOffset", 0)).reshape(-1, per)


def square_scene(h=96, w=128):
    """A red square (depth 0.9) in front of a blue plane (depth 0.2); the layers as the renderer makes them."""
    photo = np.empty((h, w, 3), np.uint8)
    photo[...] = (30, 60, 200)
    depth = np.full((h, w), 0.2, np.float32)
    square = (slice(h // 4, 3 * h // 4), slice(w // 4, 3 * w // 4))
    photo[square] = (220, 40, 30)
    depth[square] = 0.9
    return photo, depth, split_layers(photo, depth, cut=3)


def layer_arrays(document, binary, name):
    mesh = next(m for m in document["meshes"] if m["name"] == name)["primitives"][0]
    return (
        accessor_array(document, binary, mesh["attributes"]["POSITION"]),
        accessor_array(document, binary, mesh["indices"]).reshape(-1, 3),
    )


def test_the_layered_glb_validates_with_two_unlit_textured_layers():
    photo, depth, split = square_scene()
    document, binary = validate_glb(layered_glb(photo, depth, split.background_rgb, split.background_depth))
    assert [n["name"] for n in document["nodes"]] == ["front", "back"]
    assert document["extensionsUsed"] == ["KHR_materials_unlit"]
    assert all("KHR_materials_unlit" in m["extensions"] for m in document["materials"])
    assert len(document["images"]) == 2 and len(document["textures"]) == 2
    front_image = document["bufferViews"][document["images"][0]["bufferView"]]
    picture = Image.open(io.BytesIO(binary[front_image["byteOffset"] :][: front_image["byteLength"]]))
    assert picture.size == (128, 96)
    assert np.abs(np.asarray(picture.convert("RGB"), np.int16)[48, 64] - (220, 40, 30)).max() < 12


def test_vertex_count_follows_the_budget_and_the_mesh_spans_the_photo():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 255, (300, 400, 3), np.uint8)
    depth = rng.random((300, 400), np.float32)
    glb = layered_glb(photo, depth, photo, depth, max_vertices=20_000)
    document, binary = validate_glb(glb)
    counts = [document["accessors"][m["primitives"][0]["attributes"]["POSITION"]]["count"] for m in document["meshes"]]
    assert 5_000 < sum(counts) <= 20_000
    front = document["accessors"][document["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    assert front["min"][0] == pytest.approx(-0.5, abs=0.01) and front["max"][0] == pytest.approx(0.5, abs=0.01)
    assert front["max"][1] == pytest.approx(0.375, abs=0.01)  # 300 / 400 / 2
    assert front["min"][2] >= -RELIEF and front["max"][2] <= 0


def test_the_full_size_default_stays_under_300k_vertices_with_uint32_indices():
    photo = np.zeros((1536, 2048, 3), np.uint8)
    depth = np.full((1536, 2048), 0.5, np.float32)
    document, _ = validate_glb(layered_glb(photo, depth, photo, depth))
    counts = [document["accessors"][m["primitives"][0]["attributes"]["POSITION"]]["count"] for m in document["meshes"]]
    assert 200_000 < sum(counts) <= 300_000
    assert document["accessors"][document["meshes"][0]["primitives"][0]["indices"]]["componentType"] == 5125


def test_no_front_triangle_spans_the_depth_edge_and_the_back_is_there_behind_the_cut():
    photo, depth, split = square_scene()
    document, binary = validate_glb(
        layered_glb(photo, depth, split.background_rgb, split.background_depth, max_vertices=100_000)
    )
    front, front_triangles = layer_arrays(document, binary, "front")
    back, back_triangles = layer_arrays(document, binary, "back")
    near_z, far_z = RELIEF * (0.9 - 1), RELIEF * (0.2 - 1)
    # every front triangle lies on one surface: the square or the plane, never between them
    z = front[:, 2][front_triangles]
    assert np.all(z.max(1) - z.min(1) < 1e-6)
    assert np.isclose(z, near_z).any() and np.isclose(z, far_z).any()
    # the cut: triangles left out of the front, all along the square's outline
    assert len(front_triangles) < len(back_triangles) == len(grid_triangles(96, 128))
    # the back is whole, and just inside the square's outline it lies at the plane's depth (filled behind it)
    assert np.all(back[:, 2] <= front[:, 2] - BACK_GAP + 1e-6)
    rim = (
        (np.abs(back[:, 0]) > 0.225) & (np.abs(back[:, 0]) < 0.25) & (np.abs(back[:, 1]) < 0.1)
    )  # inside, left and right
    assert rim.sum() >= 8 and np.allclose(back[rim, 2], far_z - BACK_GAP, atol=0.02)


def test_a_smooth_slope_is_never_cut():
    ramp = np.tile(np.linspace(0, 1, 200, dtype=np.float32), (150, 1))
    photo = np.full((150, 200, 3), 128, np.uint8)
    document, binary = validate_glb(layered_glb(photo, ramp, photo, ramp))
    front, front_triangles = layer_arrays(document, binary, "front")
    _, back_triangles = layer_arrays(document, binary, "back")
    assert len(front_triangles) == len(back_triangles)


def test_validate_glb_catches_broken_files():
    photo, depth, split = square_scene(32, 48)
    good = layered_glb(photo, depth, split.background_rgb, split.background_depth)
    with pytest.raises(AssertionError):
        validate_glb(good[:-4])  # total length
    with pytest.raises(AssertionError):
        validate_glb(b"glTF" + struct.pack("<II", 1, len(good)) + good[12:])  # version 1
    document, binary = validate_glb(good)
    document["accessors"][0]["count"] += 1000
    with pytest.raises(AssertionError):
        validate_glb(encode_glb(document, binary))  # accessor beyond its bufferView
    document, binary = validate_glb(good)
    document["accessors"][3]["bufferView"] = 4  # the front's indices read from the back's, which is longer
    document["accessors"][3]["count"] = 3
    indices = np.frombuffer(binary, np.uint16).copy()
    view = document["bufferViews"][4]
    indices[view["byteOffset"] // 2] = 60000
    with pytest.raises(AssertionError):
        validate_glb(encode_glb(document, indices.tobytes()))  # an index beyond the vertices


def studio_mesh_front(studio: Studio) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The front mesh of `studio.mesh_glb()`: each vertex's pixel (row, column) and the depth its z stands for."""
    document, binary = validate_glb(studio.mesh_glb().tobytes())
    front, front_triangles = layer_arrays(document, binary, "front")
    _, back_triangles = layer_arrays(document, binary, "back")
    assert 0 < len(front_triangles) < len(back_triangles)  # the front is cut at the square's edges
    h, w = studio.rgb.shape[:2]
    cols = np.rint(front[:, 0] * max(h, w) + w / 2 - 0.5).astype(int)  # vertices sit on pixel centres
    rows = np.rint(h / 2 - 0.5 - front[:, 1] * max(h, w)).astype(int)
    return rows, cols, front[:, 2] / RELIEF + 1  # z = RELIEF (d - 1)


def test_studio_mesh_glb_follows_the_display_depth_its_settings_and_its_edits():
    photo, depth, _ = square_scene()
    depth += np.linspace(0, 0.3, depth.shape[1], dtype=np.float32) * (depth < 0.5)  # the plane slants: depths a
    buf, depth_png = io.BytesIO(), io.BytesIO()  # contrast curve moves
    Image.fromarray(photo).save(buf, "PNG")
    Image.fromarray((depth * 255).astype(np.uint8)).save(depth_png, "PNG")
    studio = Studio()
    studio.open_photo(buf.getvalue(), 1)
    studio.use_depth_map(depth_png.getvalue())
    studio.commit()

    def front_follows_the_display_depth():
        rows, cols, front = studio_mesh_front(studio)
        refined, _ = renderer_layers(studio.rgb, studio.display_depth)  # the depth the renderer draws
        np.testing.assert_allclose(front, refined[rows, cols], atol=1e-5)
        off_edges = (np.abs(rows[:, None] - [24, 72]).min(1) > 6) & (np.abs(cols[:, None] - [32, 96]).min(1) > 6)
        error = np.abs(front - studio.display_depth[rows, cols])[off_edges]
        assert np.median(error) < 0.005 and np.percentile(error, 90) < 0.01  # refinement moves little off edges
        return rows, cols, front

    rows, cols, before = front_follows_the_display_depth()
    assert np.abs(before - studio.raw_depth[rows, cols]).max() > 0.1  # the display depth is not the raw one
    studio.adjust({"contrast": 4.0})
    _, _, contrasted = front_follows_the_display_depth()
    assert np.abs(contrasted - before).max() > 0.1, "a contrast change did not move the mesh"
    studio.paint(
        np.array([16, 12], np.float32),
        {"brush_tool": "nearer", "brush_size": 20, "brush_strength": 1.0},
        {"contrast": 4.0},
        True,
    )
    _, _, painted = front_follows_the_display_depth()
    under = (np.abs(rows - 12) <= 2) & (np.abs(cols - 16) <= 2)
    assert (painted[under] > contrasted[under] + 0.05).all(), "a stroke did not bring the mesh nearer under it"
    far = (rows > 60) & (cols > 100)  # moved a little only: the display depth is normalised over the photo
    assert np.abs(painted[far] - contrasted[far]).max() < 0.03


def test_studio_exports_reuse_the_layers_of_the_current_display_depth(monkeypatch):
    import diorama.bridge as bridge

    photo, depth, _ = square_scene()
    buf, depth_png = io.BytesIO(), io.BytesIO()
    Image.fromarray(photo).save(buf, "PNG")
    Image.fromarray((depth * 255).astype(np.uint8)).save(depth_png, "PNG")
    studio = Studio()
    studio.open_photo(buf.getvalue(), 1)
    studio.use_depth_map(depth_png.getvalue())
    studio.commit()
    calls = []
    real = bridge.renderer_layer_steps
    monkeypatch.setattr(bridge, "renderer_layer_steps", lambda *a: calls.append(1) or real(*a))
    studio.layers()
    studio.mesh_glb()
    studio.photo_3d_html(0.5, 0.5)
    assert len(calls) == 1
    studio.adjust({"contrast": 2.5})  # a new display depth: new layers
    validate_glb(studio.mesh_glb().tobytes())
    assert len(calls) == 2
