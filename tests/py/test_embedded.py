"""Readers of embedded depth: fixtures written here per format, round trips, negatives, bad input, and the
real files of ../shared/phone-depth/embedded when they are there."""

from __future__ import annotations

import base64
import io
import re
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from diorama.embedded import (
    EmbeddedDepth,
    depth_from_heif_image,
    find_embedded_depth,
    fit_to_photo,
    heif_embedded_depth,
    read_embedded_depth,
    stereo_views,
    write_gdepth,
)
from diorama.errors import DioramaError
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from .test_fuzz import FUZZ

REAL = Path(__file__).resolve().parents[3] / "shared" / "phone-depth" / "embedded"

XMP = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT = b"http://ns.adobe.com/xmp/extension/\x00"
RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'


# --- Writers of each format ------------------------------------------------------------------------------


def ramp(height: int, width: int) -> np.ndarray:
    """Depth in [0, 1] that grows left to right and top to bottom (no symmetry survives a wrong turn)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return (0.7 * x / max(width - 1, 1) + 0.3 * y / max(height - 1, 1)).astype(np.float32)


def jpeg(size=(48, 36), orientation: int = 1, colour="teal") -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    Image.new("RGB", size, colour).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def encode(array: np.ndarray, fmt: str = "PNG", mode: str = "L") -> bytes:
    buf = io.BytesIO()
    if mode == "I;16":
        Image.fromarray(np.rint(array * 65535).astype(np.uint16)).save(buf, fmt)
    else:
        Image.fromarray(np.rint(array * 255).astype(np.uint8), "L").save(buf, fmt)
    return buf.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segments(photo: bytes, *segments: bytes) -> bytes:
    """`photo` with marker segments inserted right after its SOI."""
    return photo[:2] + b"".join(segments) + photo[2:]


def xmp_file(
    photo: bytes, standard: str, extended: str | None = None, *, guid: bytes = b"0" * 32, chunk: int = 1000
) -> bytes:
    segments = [segment(0xE1, XMP + standard.encode())]
    if extended is not None:
        packet = extended.encode()
        segments += [
            segment(0xE1, XMP_EXT + guid + struct.pack(">II", len(packet), at) + packet[at : at + chunk])
            for at in range(0, len(packet), chunk)
        ]
    return with_segments(photo, *segments)


def gdepth_file(
    photo: bytes,
    payload: bytes,
    *,
    form="RangeInverse",
    near=1.0,
    far=10.0,
    element_form=False,
    mime="image/png",
    guid: bytes = b"0" * 32,
) -> bytes:
    ns = 'xmlns:GDepth="http://ns.google.com/photos/1.0/depthmap/" xmlns:xmpNote="http://ns.adobe.com/xmp/note/"'
    data = base64.b64encode(payload).decode()
    if element_form:
        standard = (
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description {ns}>'
            f"<GDepth:Format>{form}</GDepth:Format><GDepth:Near>{near}</GDepth:Near>"
            f"<GDepth:Far>{far}</GDepth:Far><GDepth:Mime>{mime}</GDepth:Mime>"
            f"<xmpNote:HasExtendedXMP>{guid.decode()}</xmpNote:HasExtendedXMP>"
            "</rdf:Description></rdf:RDF></x:xmpmeta>"
        )
        extended = (
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description {ns}>'
            f"<GDepth:Data>{data}</GDepth:Data></rdf:Description></rdf:RDF></x:xmpmeta>"
        )
    else:
        standard = (
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description {ns} '
            f'GDepth:Format="{form}" GDepth:Near="{near}" GDepth:Far="{far}" GDepth:Mime="{mime}" '
            f'xmpNote:HasExtendedXMP="{guid.decode()}"/></rdf:RDF></x:xmpmeta>'
        )
        extended = (
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description {ns} '
            f'GDepth:Data="{data}"/></rdf:RDF></x:xmpmeta>'
        )
    return xmp_file(photo, standard, extended, guid=guid)


def mpf_file(images: list[bytes], types: list[int]) -> bytes:
    """A multi-picture file: the first image with an MPF index (big-endian) of all, the others after it."""
    count = len(images)
    ifd = (
        struct.pack(">H", 3)
        + struct.pack(">HHI4s", 0xB000, 7, 4, b"0100")
        + struct.pack(">HHII", 0xB001, 4, 1, count)
        + struct.pack(">HHII", 0xB002, 7, 16 * count, 8 + 2 + 36 + 4)
        + bytes(4)
    )
    tiff_size = 8 + len(ifd) + 16 * count
    app2 = 4 + 4 + tiff_size  # marker + length, "MPF\0", the TIFF structure
    first = len(images[0]) + app2
    tiff_at = 2 + 4 + 4  # SOI, marker + length, "MPF\0"
    entries, at = b"", first
    for k, (image, kind) in enumerate(zip(images, types)):
        size = first if k == 0 else len(image)
        entries += struct.pack(">IIIHH", kind, size, 0 if k == 0 else at - tiff_at, 0, 0)
        at += 0 if k == 0 else len(image)
    mpf = segment(0xE2, b"MPF\x00" + b"MM\x00*" + struct.pack(">I", 8) + ifd + entries)
    return with_segments(images[0], mpf) + b"".join(images[1:])


def apple_aux(depth: np.ndarray, kind: str = "disparity", extra: str = "") -> bytes:
    xmp = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description rdf:about="" '
        'xmlns:apdi="http://ns.apple.com/pixeldatainfo/1.0/" xmlns:depthData="http://ns.apple.com/depthData/1.0/">'
        f"<apdi:AuxiliaryImageType>{kind}</apdi:AuxiliaryImageType>{extra}"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return with_segments(encode(depth, "JPEG"), segment(0xE1, XMP + xmp.encode()))


def dynamic_depth_file(
    photo: bytes, payload: bytes, *, form="RangeInverse", near=0.5, far=5.0, padding=0, semantic="Depth"
) -> bytes:
    dd = "http://ns.google.com/photos/dd/1.0/"
    confidence = encode(np.ones((4, 4), np.float32))
    xmp = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description rdf:about="" '
        f'xmlns:Device="{dd}device/" xmlns:Camera="{dd}camera/" xmlns:DepthMap="{dd}depthmap/" '
        f'xmlns:Container="{dd}container/" xmlns:Item="{dd}item/">'
        "<Device:Container><Container:Directory><rdf:Seq>"
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Length="0" '
        f'Item:Padding="{padding}" Item:DataURI="primary_image"/></rdf:li>'
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/png" '
        f'Item:Length="{len(payload)}" Item:DataURI="android/depthmap"/></rdf:li>'
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/png" '
        f'Item:Length="{len(confidence)}" Item:DataURI="android/confidencemap"/></rdf:li>'
        "</rdf:Seq></Container:Directory></Device:Container>"
        '<Device:Cameras><rdf:Seq><rdf:li rdf:parseType="Resource"><Device:Camera rdf:parseType="Resource">'
        f'<Camera:DepthMap rdf:parseType="Resource" DepthMap:Format="{form}" DepthMap:Near="{near}" '
        f'DepthMap:Far="{far}" DepthMap:Units="Meters" DepthMap:DepthURI="android/depthmap" '
        'DepthMap:ConfidenceURI="android/confidencemap" '
        f'DepthMap:ItemSemantic="{semantic}"/></Device:Camera></rdf:li></rdf:Seq></Device:Cameras>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return with_segments(photo, segment(0xE1, XMP + xmp.encode())) + bytes(padding) + payload + confidence


def xdm_file(photo: bytes, depth16: np.ndarray, *, near=0.0, far=65535.0) -> bytes:
    """Intel XDM 1.0 as xdm-photo4.jpg lays it out: Device:Cameras in the extended XMP, Depthmap:* elements."""
    xdm = "http://ns.xdm.org/photos/1.0/"
    buf = io.BytesIO()
    Image.fromarray(depth16.astype(np.uint16)).save(buf, "PNG")
    data = base64.b64encode(buf.getvalue()).decode()
    wrapped = "&#xA;".join(data[i : i + 76] for i in range(0, len(data), 76))
    guid = b"A" * 32
    standard = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description rdf:about="" '
        'xmlns:xmpNote="http://ns.adobe.com/xmp/note/"><xmpNote:HasExtendedXMP>'
        f"{guid.decode()}</xmpNote:HasExtendedXMP></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    extended = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description rdf:about="" '
        f"xmlns:Camera='{xdm}camera/' xmlns:Depthmap='{xdm}depthmap/' xmlns:Device='{xdm}device/'>"
        "<Device:Cameras><rdf:Seq><rdf:li rdf:parseType='Resource'>"
        f"<Camera:DepthMap rdf:parseType='Resource'><Depthmap:Data>{wrapped}</Depthmap:Data>"
        f"<Depthmap:Far>{far}</Depthmap:Far><Depthmap:Format>RangeLinear</Depthmap:Format>"
        f"<Depthmap:Mime>image/png</Depthmap:Mime><Depthmap:Near>{near}</Depthmap:Near>"
        "</Camera:DepthMap></rdf:li></rdf:Seq></Device:Cameras></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return xmp_file(photo, standard, extended, guid=guid)


def samsung_file(photo: bytes, blocks: dict[str, tuple[int, bytes]]) -> bytes:
    """A SEFT trailer as exiftool's Samsung.pm reads it: blocks, then the SEFH directory, its length, "SEFT"."""
    body, spans = b"", []
    for name, (kind, data) in blocks.items():
        block = struct.pack("<HHI", 0, kind, len(name)) + name.encode() + data
        spans.append((kind, len(body), len(block)))
        body += block
    directory = (
        b"SEFH"
        + struct.pack("<II", 107, len(spans))
        + b"".join(struct.pack("<HHII", 0, kind, len(body) - at, size) for kind, at, size in spans)
    )
    return photo + body + directory + struct.pack("<I", len(directory)) + b"SEFT"


def dualshot_extra(width: int, height: int) -> bytes:
    """DualShot_Extra_Info with the depth size after the marker exiftool looks for (0x03 0 FF FF at byte 40)."""
    return bytes(40) + b"\x03\x00\xff\xff" + struct.pack("<II", width, height) + bytes(60)


# --- Each format -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("element_form", [False, True])
@pytest.mark.parametrize("payload_format", ["PNG", "JPEG"])
def test_gdepth_range_inverse(element_form, payload_format):
    want = ramp(36, 48)
    data = gdepth_file(jpeg(), encode(1 - want, payload_format), element_form=element_form)
    found = read_embedded_depth(data)
    assert isinstance(found, EmbeddedDepth)
    assert (found.format, found.label) == ("gdepth", "Google Lens Blur")
    assert found.depth.shape == (36, 48) and found.depth.dtype == np.float32
    tolerance = 1 / 255 if payload_format == "PNG" else 0.03
    assert np.abs(found.depth - want).max() <= tolerance + 1e-6


def test_gdepth_range_linear_is_inverse_distance():
    distance = np.linspace(1, 4, 48, dtype=np.float32)[None].repeat(36, 0)  # 1 m on the left, 4 m on the right
    data = gdepth_file(jpeg(), encode((distance - 1) / 3, mode="I;16"), form="RangeLinear", near=1, far=4)
    depth = read_embedded_depth(data).depth
    inverse = 1 / distance
    assert np.allclose(depth, (inverse - inverse.min()) / (inverse.max() - inverse.min()), atol=1e-3)


def test_write_gdepth_round_trip_and_segments():
    want = ramp(300, 400)
    out = write_gdepth(jpeg((400, 300)), want)
    found, note = find_embedded_depth(out)
    assert note is None and found.format == "gdepth"
    assert np.abs(found.depth - want).max() <= 0.5 / 255 + 1e-6
    # Split across APP1 segments that fit; a noisy depth makes the PNG larger than one segment.
    noisy = np.random.default_rng(0).random((600, 800)).astype(np.float32)
    out = write_gdepth(jpeg((800, 600)), noisy)
    lengths = [struct.unpack(">H", out[m.start() - 2 : m.start()])[0] for m in re.finditer(re.escape(XMP_EXT), out)]
    assert len(lengths) > 1 and max(lengths) <= 65535
    assert np.abs(read_embedded_depth(out).depth - noisy).max() <= 0.5 / 255 + 1e-6
    assert Image.open(io.BytesIO(out)).size == (800, 600)  # still the photo


def test_write_gdepth_replaces_old_gdepth_and_refuses_wrong_aspect():
    first = write_gdepth(jpeg(), ramp(36, 48))
    second = write_gdepth(first, 1 - ramp(36, 48))
    assert second.count(XMP) == 1
    assert np.allclose(read_embedded_depth(second).depth, 1 - ramp(36, 48), atol=1 / 255)
    with pytest.raises(ValueError, match="aspect"):
        write_gdepth(jpeg(), np.zeros((10, 10)))
    with pytest.raises(DioramaError):
        write_gdepth(encode(ramp(4, 4)), ramp(4, 4))


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_depth_follows_the_photo_orientation(orientation):
    """Depth is stored in the photo's stored frame and comes back turned like the photo."""
    upright = ramp(36, 48)
    stored_size = (48, 36) if orientation < 5 else (36, 48)
    photo = jpeg(stored_size, orientation)
    data = write_gdepth(photo, upright)
    assert np.abs(read_embedded_depth(data).depth - upright).max() <= 0.5 / 255 + 1e-6
    # The same through a hand-written file: its payload is in the stored frame.
    stored = {1: upright, 3: upright[::-1, ::-1], 6: np.rot90(upright, 1), 8: np.rot90(upright, -1)}[orientation]
    data = gdepth_file(photo, encode(1 - stored))
    assert np.abs(read_embedded_depth(data).depth - upright).max() <= 1 / 255 + 1e-6


def test_apple_disparity_found_by_its_xmp_not_its_position():
    want = ramp(36, 48)
    gain_map = apple_aux(np.full((36, 48), 0.5, np.float32), "urn:com:apple:photo:2020:aux:hdrgainmap")
    data = mpf_file([jpeg(), gain_map, apple_aux(want)], [0x030000, 0, 0])
    found = read_embedded_depth(data)
    assert (found.format, found.label) == ("apple", "iPhone portrait")
    assert np.abs(found.depth - want).max() < 0.03


def test_apple_depth_becomes_inverse_distance():
    distance = np.linspace(1, 3, 48, dtype=np.float32)[None].repeat(36, 0)
    aux = apple_aux(
        (distance - 1) / 2,
        "depth",
        "<apdi:FloatMinValue>1</apdi:FloatMinValue><apdi:FloatMaxValue>3</apdi:FloatMaxValue>",
    )
    depth = read_embedded_depth(mpf_file([jpeg(), aux], [0x030000, 0])).depth
    assert depth[:, 0].mean() > 0.95 and depth[:, -1].mean() < 0.05  # near on the left


def test_gain_map_alone_is_not_depth():
    gain_map = apple_aux(np.full((36, 48), 0.5, np.float32), "urn:com:apple:photo:2020:aux:hdrgainmap")
    assert find_embedded_depth(mpf_file([jpeg(), gain_map], [0x030000, 0])) == (None, None)


@pytest.mark.parametrize("padding", [0, 7])
def test_dynamic_depth(padding):
    want = ramp(36, 48)
    data = dynamic_depth_file(jpeg(), encode(1 - want), padding=padding)
    found = read_embedded_depth(data)
    assert (found.format, found.label) == ("dynamic-depth", "Pixel portrait (Dynamic Depth)")
    assert np.abs(found.depth - want).max() <= 1 / 255 + 1e-6


def test_dynamic_depth_segmentation_is_not_depth():
    data = dynamic_depth_file(jpeg(), encode(ramp(36, 48)), semantic="Segmentation")
    assert read_embedded_depth(data) is None


def test_xdm_range_linear_with_unmeasured_pixels():
    distance = np.linspace(500, 2000, 48)[None].repeat(36, 0)
    distance[10:14, 20:24] = 0  # no measurement
    found = read_embedded_depth(xdm_file(jpeg(), distance))
    assert (found.format, found.label) == ("xdm", "Intel XDM")
    assert found.depth[:, 0].mean() > 0.99 and found.depth[:, -1].mean() < 0.01
    hole = found.depth[10:14, 20:24]
    assert np.all((hole > found.depth[12, 19] - 0.1) & (hole < found.depth[12, 24] + 0.1))  # filled, not far


def test_samsung_dualshot_depth():
    want = ramp(36, 48)
    raw = np.rint(want * 255).astype(np.uint8).tobytes()
    data = samsung_file(
        jpeg(),
        {
            "DualShot_Extra_Info": (0x0AB3, dualshot_extra(48, 36)),
            "DualShot_DepthMap_1": (0x0AB1, raw),
            "Image_UTC_Data": (0x0A01, b"1234567890"),
        },
    )
    found = read_embedded_depth(data)
    assert (found.format, found.label) == ("samsung", "Samsung Live Focus")
    assert np.abs(found.depth - want).max() <= 0.5 / 255 + 1e-6


def test_samsung_trailer_without_depth_is_not_depth():
    data = samsung_file(
        jpeg(),
        {
            "Image_UTC_Data": (0x0A01, b"1234567890"),
            "MotionPhoto_Data": (0x0A30, bytes(500)),
            "DualShot_Extra_Info": (0x0AB3, dualshot_extra(48, 36)),
        },
    )
    assert find_embedded_depth(data) == (None, None)


def test_plain_photos_carry_no_depth(files):
    assert find_embedded_depth(jpeg()) == (None, None)
    assert find_embedded_depth(files.encode(Image.new("RGB", (8, 8)), "PNG")) == (None, None)
    assert find_embedded_depth(b"not an image at all") == (None, None)


def test_stereo_views_left_then_right_upright():
    left = Image.new("RGB", (40, 30), "red")
    right = Image.new("RGB", (40, 30), "blue")
    views = stereo_views(mpf_file([Image_bytes(left, 1), Image_bytes(right, 1)], [0x20020002, 0x020002]))
    assert views is not None
    assert [v.size for v in views] == [(40, 30), (40, 30)]
    assert views[0].getpixel((5, 5))[0] > 200 and views[1].getpixel((5, 5))[2] > 200
    sideways = mpf_file(
        [Image_bytes(left.rotate(90, expand=True), 8), Image_bytes(right.rotate(90, expand=True), 8)],
        [0x20020002, 0x020002],
    )
    assert [v.size for v in stereo_views(sideways)] == [(40, 30), (40, 30)]
    # A multi-picture file that is not a stereo pair (an iPhone portrait) and a plain JPEG have no views.
    assert stereo_views(mpf_file([jpeg(), apple_aux(ramp(36, 48))], [0x030000, 0])) is None
    assert stereo_views(jpeg()) is None


def Image_bytes(image: Image.Image, orientation: int) -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_fit_to_photo():
    depth = ramp(36, 48)
    fitted = fit_to_photo(depth, (72, 96))
    assert fitted.shape == (72, 96) and fitted.dtype == np.float32
    assert 0 <= fitted.min() and fitted.max() <= 1


# --- Refusals and bad input ------------------------------------------------------------------------------


def test_depth_of_another_aspect_is_refused_with_a_note():
    data = gdepth_file(jpeg((48, 36)), encode(ramp(36, 36)))
    depth, note = find_embedded_depth(data)
    assert depth is None and "Google Lens Blur" in note and "another shape" in note


def damaged_files(files) -> dict[str, bytes]:
    good = encode(ramp(36, 48))
    photo = jpeg()
    return {
        "invalid base64": gdepth_file(photo, b"").replace(b'GDepth:Data=""', b'GDepth:Data="@@not base64!"'),
        "not an image": gdepth_file(photo, b"this is not a PNG"),
        "huge image": gdepth_file(photo, files.png_header_only(40_000, 30_000)),
        "zero-sized image": gdepth_file(photo, files.png_header_only(0, 0)),
        "truncated image": gdepth_file(photo, good[: len(good) // 2]),
        "bad number": gdepth_file(photo, good, near="near"),
        "unknown format": gdepth_file(photo, good, form="RangeSideways"),
        "MPF outside": mpf_file([photo, apple_aux(ramp(36, 48))], [0x030000, 0])[:-100],
        "DD outside": dynamic_depth_file(photo, good).replace(b'Item:Length="', b'Item:Length="9'),
        "XDM no data": xdm_file(photo, np.ones((36, 48)))
        .replace(b"<Depthmap:Data>", b"<Depthmap:Other>")
        .replace(b"</Depthmap:Data>", b"</Depthmap:Other>"),
        "SEFT wrong size": samsung_file(
            photo, {"DualShot_Extra_Info": (0x0AB3, dualshot_extra(10, 10)), "DualShot_DepthMap_1": (0x0AB1, bytes(99))}
        ),
    }


def test_damaged_depth_gives_a_note_and_no_depth(files):
    for name, data in damaged_files(files).items():
        depth, note = find_embedded_depth(data)
        assert depth is None, name
        assert note and "damaged" in note and note[0].isupper(), (name, note)


def test_damaged_xmp_is_ignored_with_a_note():
    good = gdepth_file(jpeg(), encode(ramp(36, 48)))
    cut = re.sub(rb"(<x:xmpmeta)", rb"\1 <unclosed", good, count=1)  # the standard packet is not XML
    depth, note = find_embedded_depth(cut)
    assert depth is None and "XMP" in note
    entity = gdepth_file(jpeg(), encode(ramp(36, 48))).replace(
        b"<x:xmpmeta", b'<!DOCTYPE x [<!ENTITY a "b">]><x:xmpmeta', 1
    )
    assert find_embedded_depth(entity)[0] is None
    # Extended XMP of another GUID (left over by an editor) is not this photo's.
    other = gdepth_file(jpeg(), encode(ramp(36, 48)), guid=b"1" * 32).replace(
        b'HasExtendedXMP="' + b"1" * 32, b'HasExtendedXMP="' + b"2" * 32
    )
    depth, note = find_embedded_depth(other)
    assert depth is None and "missing" in note


def test_loaders_still_read_files_with_depth(files):
    from diorama.photo import load_photo

    assert load_photo(write_gdepth(jpeg(), ramp(36, 48))).shape == (36, 48, 3)
    assert load_photo(mpf_file([jpeg(), apple_aux(ramp(36, 48))], [0x030000, 0])).shape == (36, 48, 3)


@FUZZ
@given(data=st.data())
def test_damaged_containers_never_raise(files, data):
    """Bytes overwritten or cut anywhere in files of every format: depth, or None (with or without a note)."""
    sources = [
        gdepth_file(jpeg(), encode(ramp(36, 48))),
        mpf_file([jpeg(), apple_aux(ramp(36, 48))], [0x030000, 0]),
        dynamic_depth_file(jpeg(), encode(ramp(36, 48))),
        xdm_file(jpeg(), np.ones((36, 48)) * 900),
        samsung_file(
            jpeg(),
            {"DualShot_Extra_Info": (0x0AB3, dualshot_extra(48, 36)), "DualShot_DepthMap_1": (0x0AB1, bytes(48 * 36))},
        ),
    ]
    damaged = bytearray(data.draw(st.sampled_from(sources)))
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)))]
    depth, note = find_embedded_depth(bytes(damaged))
    assert note is None or note.strip()
    if depth is not None:
        assert depth.depth.dtype == np.float32 and depth.depth.size > 0
        assert np.all((depth.depth >= 0) & (depth.depth <= 1))
    views = stereo_views(bytes(damaged))
    assert views is None or len(views) == 2


@FUZZ
@given(rest=st.binary(max_size=600), kind=st.sampled_from([b"SEFT", b"QDIOBS", b"SEFH"]))
def test_random_trailers_and_xmp_never_raise(rest, kind):
    photo = jpeg()
    for data in (
        photo + rest + kind,
        with_segments(photo, segment(0xE1, XMP + rest[:500])),
        with_segments(photo, segment(0xE1, XMP_EXT + rest[:500])),
        with_segments(photo, segment(0xE2, b"MPF\x00" + rest[:500])),
    ):
        depth, note = find_embedded_depth(data)
        assert depth is None or depth.depth.size > 0
        stereo_views(data)


# --- Real files (../shared) ------------------------------------------------------------------------------

REAL_KINDS = {
    "table.jpg": "gdepth",
    "lbr-photo1.jpg": "gdepth",
    "lyangas_test.jpeg": "apple",
    "test00.jpg": "apple",
    "test02.jpg": "apple",
    "test03.jpg": "apple",
    "test04.jpg": "apple",
    "xdm-photo4.jpg": "xdm",
    "apple_gainmap_new.jpg": None,
    "sugarshack.mpo": None,
    "frozenpond.mpo": None,
    "Panasonic-DMC-GX8.mpo": None,
}


def independent_depth(data: bytes, kind: str) -> np.ndarray:
    """The depth payload found by plain byte searches and decoded by Pillow, turned to 1 = near by hand."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow finds the iPhone's MPF index malformed
        return _independent_depth(data, kind, Image.open(io.BytesIO(data)).getexif().get(0x0112, 1))


def _extended_xmp(data: bytes) -> bytes:
    """The extended XMP's chunks joined, found by a plain byte search (each after its 40-byte GUID and offset)."""
    return b"".join(
        data[m.end() + 40 : m.end() + struct.unpack(">H", data[m.start() - 2 : m.start()])[0] - 2 - len(XMP_EXT)]
        for m in re.finditer(re.escape(XMP_EXT), data)
    )


def _independent_depth(data: bytes, kind: str, orientation: int) -> np.ndarray:
    if kind == "gdepth":
        extended = _extended_xmp(data)
        payload = base64.b64decode(re.search(rb'GDepth:Data="([^"]*)"', extended).group(1))
        values = 1 - np.asarray(Image.open(io.BytesIO(payload)).convert("L"), np.float64) / 255
    elif kind == "xdm":
        extended = _extended_xmp(data)
        text = re.search(rb"<Depthmap:Data>(.*?)</Depthmap:Data>", extended, re.S).group(1).replace(b"&#xA;", b"")
        raw = np.asarray(Image.open(io.BytesIO(base64.b64decode(text))), np.float64)
        values = np.where(raw > 0, 1 / np.maximum(raw, 1), np.nan)
    else:
        at = data.index(b"<apdi:AuxiliaryImageType>disparity")
        payload = data[data.rindex(b"\xff\xd8\xff", 0, at) :]
        values = np.asarray(Image.open(io.BytesIO(payload)).convert("L"), np.float64) / 255
    turn = {3: 2, 6: -1, 8: 1}.get(orientation)
    return values if turn is None else np.rot90(values, turn)


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real files not present ({REAL})")
@pytest.mark.parametrize("name", sorted(REAL_KINDS))
def test_real_files(name):
    data = (REAL / name).read_bytes()
    depth, note = find_embedded_depth(data)
    kind = REAL_KINDS[name]
    assert note is None
    if kind is None:
        assert depth is None
        assert (stereo_views(data) is not None) == name.endswith(".mpo")
        return
    assert depth is not None and depth.format == kind
    expected = independent_depth(data, kind)
    assert expected.shape == depth.depth.shape
    valid = np.isfinite(expected)
    assert np.corrcoef(expected[valid], depth.depth[valid])[0, 1] > 0.99


def test_real_heic_files_are_read_with_pillow_heif_and_need_it():
    """CPython reads HEIC through pillow-heif (diorama[heif]); without it such files carry no depth *for this
    reader* (the browser's worker reads them with libheif-js: tests/web/test_heif.py)."""
    from diorama import photo

    if not REAL.is_dir():
        pytest.skip(f"real files not present ({REAL})")
    for path in sorted(REAL.glob("*.[hH][eE][iI][cC]")):
        depth, note = find_embedded_depth(path.read_bytes())
        assert note is None, (path.name, note)
        if photo.pillow_heif is None:
            assert depth is None, path.name
            continue
        # pug.heic: an iPhone portrait's 768 x 576 disparity (the cushion in front, the wall behind)
        assert (depth is not None) == (path.name == "pug.heic"), path.name
        if depth is not None:
            assert depth.format == "apple" and depth.depth.shape == (576, 768)
            assert depth.depth[490, 745] > depth.depth[350, 420] > depth.depth[90, 460] + 0.1
        assert (stereo_views(path.read_bytes()) is not None) == (path.name == "vision-pro.HEIC"), path.name


def test_heif_depth_images_follow_their_representation():
    ramp = np.tile(np.arange(0, 256, 51, dtype=np.uint8), (2, 1))  # 0, 51, ..., 255
    metres = 1 + 4 * ramp[0].astype(np.float64) / 255
    for representation in (None, 0, 1, 3):  # inverse distance and disparities: brighter is nearer
        assert np.array_equal(depth_from_heif_image(ramp, representation=representation), ramp / np.float32(255))
    distance = depth_from_heif_image(ramp, representation=2, z_near=1.0, z_far=5.0)  # uniform distance
    assert distance[0, 0] == 1 and distance[0, -1] == 0 and np.all(np.diff(distance[0]) < 0)
    assert np.allclose(1 / metres, 0.2 + 0.8 * distance[0], atol=1e-5)  # 1/d, scaled
    ten_bits = depth_from_heif_image(np.array([[1023, 0]], np.uint16), bits=10)
    assert ten_bits.tolist() == [[1.0, 0.0]]
    with pytest.raises(ValueError):
        depth_from_heif_image(np.zeros(4, np.uint8))
    found, note = heif_embedded_depth(ramp, (12, 4))  # 6 x 2 depth for a 12 x 4 photo: same shape
    assert found.format == "apple" and note is None
    assert heif_embedded_depth(ramp, (4, 12))[0] is None  # another shape: refused with a note
    assert "damaged" in heif_embedded_depth(np.zeros((0, 0), np.uint8), (4, 3))[1]
