"""Tiefenrausch, the teacher: read its Caffe2 int8 NetDefs and run them in PyTorch.

Two executors over the same parsed graph:

* ``run_int8`` reproduces the original QNNPACK arithmetic (int32 accumulation, fixed-point
  requantization with rounding, clamp to 0..255). It is the proof that the import is right:
  it matches the original runtime's ``reference/*.npy`` outputs.
* ``FloatTeacher`` is a float ``nn.Module`` with dequantized weights in which every tensor is
  clamped to its quantization range. It is several times faster and is what makes the
  pseudo-labels. Without the clamps it is not the same network: log-disparity drifts by 1.5-3.

Both take ``(1, 3, H, W)`` float32 RGB/255 (H, W multiples of 32) and return log-disparity
``(1, 1, H, W)`` (disparity = exp, larger = nearer).

The NetDefs are protobuf messages; a 40-line wire-format reader replaces the protobuf package.
Field numbers (caffe2.proto): NetDef 2 op, 7 external_input, 8 external_output; OperatorDef
1 input, 2 output, 4 type, 5 arg; Argument 1 name, 2 f, 3 i, 4 s, 5 floats, 6 ints.
"""

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torch_required  # noqa: F401  (says which extra to install when torch is missing)

PREDICT_NET = "tiefenrausch.pb"
INIT_NET = "tiefenrausch_init.pb"


# ---------------------------------------------------------------- protobuf wire format


def _varint(buf, pos):
    """Decode one base-128 varint at ``pos``; return (value, next position)."""
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _fields(buf):
    """Split one protobuf message into {field number: [raw values]} (wire types 0, 1, 2, 5)."""
    out, pos = {}, 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} at byte {pos}")
        out.setdefault(number, []).append(value)
    return out


def _int64(raw):
    """Varints carry int64 as two's complement in 64 bits."""
    return raw - (1 << 64) if raw >= 1 << 63 else raw


def _ints(values):
    """Repeated int64: plain varints, or one packed blob (proto3 style)."""
    out = []
    for value in values:
        if isinstance(value, bytes):
            pos = 0
            while pos < len(value):
                raw, pos = _varint(value, pos)
                out.append(_int64(raw))
        else:
            out.append(_int64(value))
    return out


def _argument(buf):
    """Argument message -> (name, python value)."""
    f = _fields(buf)
    name = f[1][0].decode()
    if 2 in f:
        return name, struct.unpack("<f", f[2][0])[0]
    if 3 in f:
        return name, _int64(f[3][0])
    if 4 in f:
        return name, f[4][0]
    if 5 in f:
        return name, [v for b in f[5] for v in struct.unpack(f"<{len(b) // 4}f", b)]
    return name, _ints(f.get(6, []))


@dataclass
class Op:
    """One OperatorDef: type, input and output blob names, arguments."""

    type: str
    inputs: list
    outputs: list
    args: dict = field(default_factory=dict)


def read_netdef(path):
    """Parse a Caffe2 NetDef file into (ops, external inputs, external outputs)."""
    net = _fields(Path(path).read_bytes())
    ops = []
    for raw in net.get(2, []):
        f = _fields(raw)
        ops.append(
            Op(
                type=f[4][0].decode(),
                inputs=[b.decode() for b in f.get(1, [])],
                outputs=[b.decode() for b in f.get(2, [])],
                args=dict(_argument(a) for a in f.get(5, [])),
            )
        )
    names = lambda number: [b.decode() for b in net.get(number, [])]  # noqa: E731
    return ops, names(7), names(8)


# ---------------------------------------------------------------- input, as the original cli.py


def _area_weights(n_in, n_out):
    """(n_out, n_in) integer overlap lengths, in units of 1/n_out source pixels (rows sum to n_in)."""
    starts = np.arange(n_out)[:, None] * n_in  # output cell o covers [o n_in, (o+1) n_in)
    pixels = np.arange(n_in)[None, :] * n_out  # source pixel i covers [i n_out, (i+1) n_out)
    overlap = np.minimum(starts + n_in, pixels + n_out) - np.maximum(starts, pixels)
    return np.maximum(overlap, 0).astype(np.float64)


def area_resize(rgb, size):
    """OpenCV ``INTER_AREA`` downscaling, bit-exact, without OpenCV.

    The teacher amplifies a 1-level input difference into a visibly different output, so its
    reference outputs are only reproduced with OpenCV's exact rounding: area-weighted means,
    rounded half to even. Integer weights keep every sum exact in float64.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    size : tuple of int
        Output (h, w), each at most the input size.

    Returns
    -------
    (h, w, 3) uint8 ndarray
    """
    (height, width), (h, w) = rgb.shape[:2], size
    rows, cols = _area_weights(height, h), _area_weights(width, w)
    total = np.stack([rows @ rgb[..., c].astype(np.float64) @ cols.T for c in range(3)], -1)
    den = float(height * width)
    q = np.floor(total / den)
    r = total - q * den  # exact; the division above may be off by one ulp
    q += (r >= den).astype(np.float64) - (r < 0)
    r = total - q * den
    up = (2 * r > den) | ((2 * r == den) & (q % 2 == 1))
    return np.clip(q + up, 0, 255).astype(np.uint8)


def reference_input(rgb, long_side=384):
    """The original cli.py preprocessing: long side 384, each side floored to /32, area resize.

    Returns
    -------
    (1, 3, h, w) float32 tensor
        RGB / 255 (computed in float64 first, as the original does).
    """
    height, width = rgb.shape[:2]
    if height > width:
        h, w = long_side, int(width * long_side / height)
    else:
        h, w = int(height * long_side / width), long_side
    small = area_resize(rgb, (h - h % 32, w - w % 32))
    return torch.from_numpy((small.transpose(2, 0, 1)[None] / 255.0).astype(np.float32))


# ---------------------------------------------------------------- the teacher graph


@dataclass
class QTensor:
    """A quantized constant: integer values, scale, zero point (real = scale * (q - zp))."""

    q: np.ndarray
    scale: float
    zero_point: int


def load_teacher(folder):
    """Read both NetDefs from ``folder``.

    Returns
    -------
    ops : list of Op
        The predict net, in execution order.
    constants : dict of str -> QTensor
        Weights as (out, kh, kw, in/group) uint8 and biases as (out,) int32, by blob name.
    """
    folder = Path(folder)
    init_ops, _, _ = read_netdef(folder / INIT_NET)
    constants = {}
    for op in init_ops:
        a = op.args
        if op.type == "Int8GivenTensorFill":
            q = np.frombuffer(a["values"], np.uint8).reshape(a["shape"])
        elif op.type == "Int8GivenIntTensorFill":
            q = np.asarray(a["values"], np.int64).astype(np.int32).reshape(a["shape"])
        else:
            raise ValueError(f"unexpected init op {op.type}")
        constants[op.outputs[0]] = QTensor(q, np.float32(a["Y_scale"]), int(a["Y_zero_point"]))
    ops, _, _ = read_netdef(folder / PREDICT_NET)
    return ops, constants


def _conv_geometry(args):
    """Stride, padding, dilation, groups of an Int8Conv (pads are t, l, b, r; symmetric here)."""
    pads = args.get("pads", [0, 0, 0, 0])
    if pads[0] != pads[2] or pads[1] != pads[3]:
        raise ValueError(f"asymmetric padding {pads} is not supported")
    return dict(
        stride=tuple(args.get("strides", [1, 1])),
        padding=(pads[0], pads[1]),
        dilation=tuple(args.get("dilations", [1, 1])),
        groups=int(args.get("group", 1)),
    )


def _out_quant(op):
    return np.float32(op.args["Y_scale"]), int(op.args["Y_zero_point"])


# ---------------------------------------------------------------- faithful int8 executor


def _requantize_conv(acc, scale, zero_point):
    """QNNPACK's q31 requantization of int32 accumulators, then clamp to 0..255.

    The float multiplier is split into a 31-bit mantissa and a right shift; the product is
    rounded to nearest (ties away from zero) twice, exactly as the integer kernels do.
    """
    bits = int(np.float32(scale).view(np.uint32))
    multiplier = ((bits & 0x007FFFFF) | 0x00800000) << 7
    shift = 127 + 31 - 32 - (bits >> 23)
    product = acc * multiplier
    q31 = (product + (1 << 30)) >> 31
    mask = (1 << shift) - 1
    remainder = (q31 & mask) - (q31 < 0).long()
    scaled = (q31 >> shift) + (remainder > (mask >> 1)).long()
    return torch.clamp(scaled + zero_point, 0, 255)


def _int8_conv(x, op, constants, x_scale, x_zp):
    """Int8Conv: exact int32 accumulation (float64 holds it exactly), pad with the zero point."""
    w = constants[op.inputs[1]]
    b = constants[op.inputs[2]]
    weight = torch.from_numpy(w.q.astype(np.float64) - w.zero_point).permute(0, 3, 1, 2)
    # Subtracting the zero point first makes zero padding equal to padding with it.
    acc = F.conv2d(x.double() - x_zp, weight, **_conv_geometry(op.args))
    acc = torch.round(acc).long() + torch.from_numpy(b.q.astype(np.int64)).view(1, -1, 1, 1)
    y_scale, y_zp = _out_quant(op)
    # QNNPACK computes the requantization scale in float32.
    scale = np.float32(np.float32(x_scale) * w.scale) / y_scale
    return _requantize_conv(acc, scale, y_zp), y_scale, y_zp


def _int8_add(a, b, qa, qb, op):
    """QNNPACK's q8 add: 22-bit fixed-point multipliers sharing one rounding right shift."""
    y_scale, y_zp = _out_quant(op)
    a_scale = np.float32(qa[0] / y_scale)
    b_scale = np.float32(qb[0] / y_scale)
    exponent = int(np.float32(max(a_scale, b_scale)).view(np.uint32) >> 23) - 127
    shift = 21 - exponent
    unit = np.float32(2.0) ** shift
    a_mult = int(np.rint(np.float32(a_scale * unit)))
    b_mult = int(np.rint(np.float32(b_scale * unit)))
    acc = a * a_mult + b * b_mult - (a_mult * qa[1] + b_mult * qb[1])
    mask = (1 << shift) - 1
    remainder = (acc & mask) - (acc < 0).long()
    out = (acc >> shift) + (remainder > (mask >> 1)).long()
    return torch.clamp(out + y_zp, 0, 255), y_scale, y_zp


def _quantize(x, op):
    """Int8Quantize: round(x / scale) + zero point, clamped (round half to even)."""
    scale, zp = _out_quant(op)
    q = torch.round(x.float() / torch.tensor(scale, dtype=torch.float32)).long() + zp
    return torch.clamp(q, 0, 255), scale, zp


@torch.no_grad()
def run_int8(graph, x):
    """Run the predict net with QNNPACK integer arithmetic.

    Parameters
    ----------
    graph : tuple
        ``load_teacher(folder)``.
    x : (1, 3, H, W) float32 tensor
        RGB / 255, H and W multiples of 32.

    Returns
    -------
    (1, 1, H, W) float32 tensor
        Log-disparity, dequantized from the int8 output.
    """
    ops, constants = graph
    blobs = {}  # name -> (int64 NCHW tensor, scale, zero point); layout ops are no-ops here.
    for op in ops:
        if op.type == "NCHW2NHWC":
            blobs[op.outputs[0]] = x
        elif op.type == "Int8Quantize":
            blobs[op.outputs[0]] = _quantize(blobs[op.inputs[0]], op)
        elif op.type == "Int8Conv":
            q, s, zp = blobs[op.inputs[0]]
            blobs[op.outputs[0]] = _int8_conv(q, op, constants, s, zp)
        elif op.type == "Int8Add":
            a, b = blobs[op.inputs[0]], blobs[op.inputs[1]]
            blobs[op.outputs[0]] = _int8_add(a[0], b[0], a[1:], b[1:], op)
        elif op.type == "Int8ResizeNearest":
            q, s, zp = blobs[op.inputs[0]]
            blobs[op.outputs[0]] = (_upsample2(q, op), s, zp)
        elif op.type == "Int8Dequantize":
            q, s, zp = blobs[op.inputs[0]]
            return (q - zp).float() * float(s)
        else:
            raise ValueError(f"unsupported op {op.type}")
    raise ValueError("the net has no Int8Dequantize output")


def _upsample2(x, op):
    """Int8ResizeNearest with scale 2: each value copied to a 2x2 block."""
    if op.args.get("width_scale", 2.0) != 2.0 or op.args.get("height_scale", 2.0) != 2.0:
        raise ValueError(f"only x2 nearest resize is supported, got {op.args}")
    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


# ---------------------------------------------------------------- fast float executor


def _range(scale, zero_point):
    """The real interval an 8-bit tensor can hold."""
    return -zero_point * float(scale), (255 - zero_point) * float(scale)


class FloatTeacher(torch.nn.Module):
    """The teacher in float: dequantized weights, every tensor clamped to its int8 range.

    Parameters
    ----------
    graph : tuple
        ``load_teacher(folder)``.
    """

    def __init__(self, graph):
        super().__init__()
        ops, constants = graph
        self.steps = []  # (kind, inputs, output, extra) in execution order
        self.weights = torch.nn.ParameterList()
        quant = {}
        for op in ops:
            if op.type in ("NCHW2NHWC", "Int8Dequantize"):
                self.steps.append(("alias", op.inputs, op.outputs[0], None))
                continue
            y_range = _range(*_out_quant(op)) if "Y_scale" in op.args else None
            if op.type == "Int8Quantize":
                quant[op.outputs[0]] = _out_quant(op)
                self.steps.append(("clamp", op.inputs, op.outputs[0], y_range))
            elif op.type == "Int8Conv":
                w, b = constants[op.inputs[1]], constants[op.inputs[2]]
                x_scale = quant[op.inputs[0]][0]
                weight = (w.q.astype(np.float32) - w.zero_point) * w.scale
                bias = b.q.astype(np.float32) * np.float32(x_scale * w.scale)
                self.weights.append(
                    torch.nn.Parameter(torch.from_numpy(weight).permute(0, 3, 1, 2).contiguous(), requires_grad=False)
                )
                self.weights.append(torch.nn.Parameter(torch.from_numpy(bias), requires_grad=False))
                index = len(self.weights) - 2
                self.steps.append(("conv", op.inputs[:1], op.outputs[0], (index, _conv_geometry(op.args), y_range)))
                quant[op.outputs[0]] = _out_quant(op)
            elif op.type == "Int8Add":
                self.steps.append(("add", op.inputs, op.outputs[0], y_range))
                quant[op.outputs[0]] = _out_quant(op)
            elif op.type == "Int8ResizeNearest":
                self.steps.append(("up", op.inputs, op.outputs[0], None))
                quant[op.outputs[0]] = quant[op.inputs[0]]
            else:
                raise ValueError(f"unsupported op {op.type}")
        self.input = ops[0].inputs[0]
        self.output = ops[-1].outputs[0]

    def forward(self, x):
        """(B, 3, H, W) RGB/255 -> (B, 1, H, W) log-disparity."""
        blobs = {self.input: x}
        for kind, inputs, output, extra in self.steps:
            src = blobs[inputs[0]]
            if kind == "alias":
                blobs[output] = src
            elif kind == "clamp":
                blobs[output] = src.clamp(*extra)
            elif kind == "conv":
                index, geometry, y_range = extra
                y = F.conv2d(src, self.weights[index], self.weights[index + 1], **geometry)
                blobs[output] = y.clamp(*y_range)
            elif kind == "add":
                blobs[output] = (src + blobs[inputs[1]]).clamp(*extra)
            else:
                blobs[output] = F.interpolate(src, scale_factor=2, mode="nearest")
        return blobs[self.output]
