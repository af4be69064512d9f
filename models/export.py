"""Export a trained student checkpoint to ONNX and check it with onnxruntime.

    python models/export.py models/runs/student/ckpt.pt [-o py/diorama/data/depth.onnx]

The one committed copy of the model lives inside the package (``py/diorama/data/depth.onnx``) so
``pip install .`` ships it; ``models/depth.onnx`` is a symlink to it.

Contract (what the app and the CLI rely on):
  input  ``image``     (1, 3, H, W) float32, RGB / 255, H and W multiples of 32 (dynamic)
  output ``disparity`` (1, 1, H, W) float32, relative inverse depth (larger = nearer, > 0)
Opset 17: every operator used (Conv, Relu, Add, Concat, Resize, Exp, Sub, Div, Shape, ...) is
supported by onnxruntime-web's wasm backend.
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
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    net = load_student(args.checkpoint)
    export(net, args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB), "
        f"onnxruntime vs torch max relative diff {check(net, args.out):.2e}"
    )


if __name__ == "__main__":
    main()
