"""Student smoke test: a tiny model exports to ONNX and runs in onnxruntime at any /32 size."""

import numpy as np
import onnxruntime
import pytest
import torch

from export import check, export
from model import DepthNet, ModelConfig
from train import ssi_loss

TINY = ModelConfig(stem=4, widths=(8, 8, 8, 8), depths=(1, 1, 1, 1), expansion=2, decoder=(8, 8, 8, 8))


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory):
    torch.manual_seed(0)
    net = DepthNet(TINY).eval()
    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    export(net, path)
    return net, path


@pytest.mark.parametrize("shape", [(288, 384), (384, 288), (32, 32), (96, 416)])
def test_onnx_output_has_the_input_size(tiny_onnx, shape):
    _, path = tiny_onnx
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image"]
    assert [o.name for o in session.get_outputs()] == ["disparity"]
    x = np.random.default_rng(0).random((1, 3, *shape), dtype=np.float32)
    (y,) = session.run(["disparity"], {"image": x})
    assert y.shape == (1, 1, *shape) and y.dtype == np.float32
    assert np.all(y > 0)  # disparity = exp(log-disparity)


def test_onnx_matches_torch(tiny_onnx):
    net, path = tiny_onnx
    assert check(net, path) < 1e-4


def test_loss_is_scale_and_shift_invariant_in_disparity():
    torch.manual_seed(0)
    target = torch.randn(2, 1, 32, 32)
    # exp(pred) = 3 exp(target): the same disparity up to scale -> (almost) zero loss.
    same = ssi_loss(target + np.log(3.0), target, grad_weight=0.5, scales=3)
    other = ssi_loss(torch.randn(2, 1, 32, 32), target, grad_weight=0.5, scales=3)
    assert same.item() < 1e-4 < other.item()
