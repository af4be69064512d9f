"""XMP in JPEG files: the standard packet and the extended one (split across APP1 segments), parsed, and the
property lookups the readers share."""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
import xml.etree.ElementTree as ET

from .registry import Unusable

XMP_STANDARD = b"http://ns.adobe.com/xap/1.0/\x00"
"""The signature that starts the APP1 segment of the standard XMP packet."""
XMP_EXTENDED = b"http://ns.adobe.com/xmp/extension/\x00"
"""The signature that starts each APP1 segment of the extended XMP packet."""
EXTENDED_HEADER = len(XMP_EXTENDED) + 32 + 8
"""Bytes before an extended XMP chunk: signature, GUID, total length, offset."""

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
NS_XMP_NOTE = "{http://ns.adobe.com/xmp/note/}"


class XmpTrees:
    """The standard and extended XMP of a JPEG, parsed; `note` says when either was damaged."""

    def __init__(self, data: bytes, segments) -> None:
        self.note = None
        standard = next(
            (
                data[start + len(XMP_STANDARD) : end]
                for marker, start, end in segments
                if marker == 0xE1 and data.startswith(XMP_STANDARD, start)
            ),
            None,
        )
        self.standard = self._parse(lambda: standard)
        guid = None
        if self.standard is not None:
            guid = next((v for _, v in properties(self.standard, NS_XMP_NOTE + "HasExtendedXMP")), None)
        self.extended = self._parse(lambda: extended_xmp(data, segments, guid))

    def _parse(self, packet) -> ET.Element | None:
        """`packet()` parsed, or None when there is none or it is damaged (then `note` says so)."""
        try:
            found = packet()
            return None if found is None else parse_xml(found)
        except Unusable as err:
            self.note = f"This photo's metadata (XMP) is damaged ({err}); Diorama ignored it."
            return None

    def trees(self) -> list[ET.Element]:
        """The packets there are, standard first."""
        return [tree for tree in (self.standard, self.extended) if tree is not None]


def extended_xmp(data: bytes, segments, guid: str | None) -> bytes | None:
    """The extended XMP packet reassembled from its APP1 chunks (of `guid`, when given), or None."""
    chunks: dict[bytes, list[tuple[int, int, int, int]]] = {}
    for marker, start, end in segments:
        if marker == 0xE1 and data.startswith(XMP_EXTENDED, start) and end - start >= EXTENDED_HEADER:
            head = start + len(XMP_EXTENDED)
            total, offset = struct.unpack_from(">II", data, head + 32)
            chunks.setdefault(bytes(data[head : head + 32]), []).append((offset, total, head + 40, end))
    if not chunks:
        return None
    key = guid.strip().encode("ascii", "replace") if guid else next(iter(chunks))
    parts = chunks.get(key)
    if parts is None:  # extended XMP of another packet (an edited copy's leftovers): not this photo's
        return None
    total = parts[0][1]
    if total > len(data) or any(t != total or offset + (end - begin) > total for offset, t, begin, end in parts):
        raise Unusable("its extended part's pieces don't fit together")
    packet = bytearray(total)
    filled = 0
    for offset, _, begin, end in sorted(parts):
        packet[offset : offset + end - begin] = data[begin:end]
        filled += end - begin
    if filled != total:
        raise Unusable("its extended part is incomplete")
    return bytes(packet)


def parse_xml(packet: bytes) -> ET.Element:
    """An XMP packet parsed; entity declarations are refused (they can expand without bound)."""
    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        raise Unusable("it declares XML entities")
    text = packet.strip(b"\x00 \t\r\n")
    try:
        return ET.fromstring(text)
    except ET.ParseError as err:
        raise Unusable(f"invalid XML: {err}") from None
    except (ValueError, RecursionError):
        raise Unusable("invalid XML") from None


def properties(tree: ET.Element, name: str):
    """(holder, value) for each simple property `name` ('{ns}local') in `tree`, in attribute or element form;
    the holder is the struct (element) the property belongs to, for :func:`struct_fields`."""
    for element in tree.iter():
        if name in element.attrib:
            yield element, element.attrib[name]
        for child in element:
            if child.tag == name and len(child) == 0:
                yield element, (child.text or "").strip()


def struct_fields(node: ET.Element) -> dict[str, str]:
    """The simple properties of an XMP struct and of the structs inside it (not lists), first one wins."""
    fields = {}
    stack = [node]
    while stack:
        element = stack.pop(0)
        for name, value in element.attrib.items():
            fields.setdefault(name, value)
        for child in element:
            if child.tag in (RDF + "Seq", RDF + "Bag", RDF + "Alt"):
                continue
            if len(child) == 0 and not child.attrib:
                fields.setdefault(child.tag, (child.text or "").strip())
            else:  # a struct, in element or attribute (``<Container:Item Item:Mime=.../>``) form
                stack.append(child)
    return fields


def first_element(trees, name: str) -> ET.Element | None:
    """The first element `name` ('{ns}local') of the first tree that has one, or None."""
    for tree in trees:
        for element in tree.iter(name):
            return element
    return None


def number_field(fields: dict[str, str], name: str) -> float:
    """The finite number field `name` of :func:`struct_fields`' `fields`; :class:`Unusable` when it isn't one."""
    try:
        value = float(fields[name])
    except (KeyError, ValueError):
        raise Unusable(f"{name.split('}')[-1]} is missing or not a number") from None
    if not math.isfinite(value):
        raise Unusable(f"{name.split('}')[-1]} is not a finite number")
    return value


def base64_data(text: str) -> bytes:
    """The bytes of base64 `text` (white space allowed); :class:`Unusable` when it isn't base64."""
    try:
        return base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError):
        raise Unusable("its data is not valid base64") from None


def camera_depth_map(trees, ns_device: str, ns_camera: str) -> dict[str, str] | None:
    """The fields of the first camera's depth map (Device:Cameras, first rdf:li, Camera:DepthMap), or None:
    the layout Dynamic Depth and XDM share, each in its own namespaces."""
    cameras = first_element(trees, ns_device + "Cameras")
    if cameras is None:
        return None
    for camera in cameras.iter(RDF + "li"):
        depth_map = next(camera.iter(ns_camera + "DepthMap"), None)
        if depth_map is not None:
            return struct_fields(depth_map)
    return None
