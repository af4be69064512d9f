"""Export a trained student checkpoint to ONNX and check it with onnxruntime.

    python models/export.py models/runs/student/ckpt.pt [-o py/diorama/data/depth.onnx]
    python models/export.py --half-weights py/diorama/data/depth.onnx   # an older fp32 export, in place

The one committed copy of the model lives inside the package (``py/diorama/data/depth.onnx``) so
``pip install .`` ships it; ``models/depth.onnx`` is a symlink to it.

Contract (what the app and the CLI rely on):
  input  ``image``     (1, 3, H, W) float32, RGB / 255, H and W multiples of 32 (dynamic)
  output ``disparity`` (1, 1, H, W) float32, relative inverse depth (larger = nearer, > 0)
Opset 17: every operator used (Conv, Relu, Add, Concat, Resize, Exp, Sub, Div, Shape, Cast, ...) is
supported by onnxruntime-web's wasm backend. The convolution weights are stored as float16 (half_weights).
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch
import torch_required  # noqa: F401  (says which extra to install when torch is missing)
from model import DepthNet, ModelConfig

ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = ROOT.parent / "py" / "diorama" / "data" / "depth.onnx"
OPSET = 17
HALF_FROM = 2048  # the smallest weight (number of values) that half_weights stores as float16


class Exported(torch.nn.Module):
    """The student with its log-disparity turned into disparity, the quantity the app uses."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return torch.exp(self.net(image))


def load_student(path):
    """Rebuild the student from a checkpoint alone (it carries the model config)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    net = DepthNet(ModelConfig(**ckpt["model_config"]))
    net.load_state_dict(ckpt["model"])
    return net.eval()


def export(net, path):
    """Write ``net`` (eval mode) as ONNX with dynamic height and width."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The TorchScript exporter (deprecated since torch 2.9, still complete) traces this plain
    # convolutional net to a small opset-17 graph and needs no onnxscript; silence its notices.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            Exported(net).eval(),
            (torch.rand(1, 3, 288, 384),),
            str(path),
            input_names=["image"],
            output_names=["disparity"],
            opset_version=OPSET,
            dynamic_axes={"image": {2: "height", 3: "width"}, "disparity": {2: "height", 3: "width"}},
            dynamo=False,
        )


def half_weights(path):
    """Store the convolution weights of the ONNX file at ``path`` as float16, in place.

    Each 4-D float32 weight of at least HALF_FROM values becomes a float16 initializer with a ``Cast`` back to
    float32 in front of the graph: onnxruntime folds the cast into a float32 constant when it loads the model, so
    the arithmetic stays float32, on weights rounded to float16. The file is half the size (what a phone
    downloads before its first photo). The small weights (the stem, the depthwise 3x3s, the head: 2 % of the
    bytes) stay float32, with the biases and the other constants: rounding them too made the depth differ by up
    to 0.6/255 on the shared photos, against 0.2/255 this way (models/README.md). Returns the largest weight's
    relative rounding.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    casts, worst = [], 0.0
    for weight in graph.initializer:
        if weight.data_type != TensorProto.FLOAT or len(weight.dims) != 4 or np.prod(weight.dims) < HALF_FROM:
            continue
        full = numpy_helper.to_array(weight)
        half = full.astype(np.float16)
        worst = max(worst, float(np.abs(half.astype(np.float32) - full).max() / np.abs(full).max()))
        stored = numpy_helper.from_array(half, f"{weight.name}.float16")
        casts.append(
            helper.make_node("Cast", [stored.name], [weight.name], name=f"{weight.name}.cast", to=TensorProto.FLOAT)
        )
        weight.CopyFrom(stored)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return worst


def check(net, path, sizes=((288, 384), (384, 288), (96, 384))):
    """Max relative difference between onnxruntime and PyTorch at a few input sizes."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for h, w in sizes:
        x = torch.rand(1, 3, h, w)
        with torch.no_grad():
            expected = Exported(net)(x).numpy()
        (got,) = session.run(["disparity"], {"image": x.numpy()})
        assert got.shape == (1, 1, h, w), got.shape
        worst = max(worst, float(np.abs(got - expected).max() / np.abs(expected).max()))
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path, nargs="?")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--half-weights",
        type=Path,
        metavar="ONNX",
        help="only store the weights of an fp32 export as float16, in place",
    )
    args = parser.parse_args()
    if args.half_weights:
        rounding = half_weights(args.half_weights)
        print(f"wrote {args.half_weights} ({args.half_weights.stat().st_size / 1e6:.2f} MB, rounding {rounding:.1e})")
        return
    if args.checkpoint is None:
        parser.error("a checkpoint, or --half-weights ONNX")
    net = load_student(args.checkpoint)
    export(net, args.out)
    rounding = half_weights(args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, float16 weights: rounding {rounding:.1e}), "
        f"onnxruntime vs torch max relative diff {check(net, args.out):.2e}"
    )


if __name__ == "__main__":
    main()
