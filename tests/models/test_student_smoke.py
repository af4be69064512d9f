"""Student smoke test: a tiny model exports to ONNX and runs in onnxruntime at any /32 size."""

import numpy as np
import onnxruntime
import pytest
import torch
from export import check, export
from model import DepthNet, ModelConfig
from train import checkpoint, ssi_loss

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


def test_checkpoint_records_the_fit_on_training_photos_beside_the_held_out_one(tmp_path):
    torch.manual_seed(0)
    net = DepthNet(TINY).eval()
    with torch.no_grad():  # a wide log-disparity range, so disparity is far from linear in it
        net.head.weight.mul_(50)
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 256, (64, 96, 3), dtype=np.uint8) for _ in range(4)]
    with torch.no_grad():  # training labels: the net's own answer, so it fits them exactly
        own = [net(torch.from_numpy(p).permute(2, 0, 1)[None].float() / 255)[0, 0].numpy() for p in photos[:2]]
    fit_items = list(zip(photos[:2], own))
    val_items = [(p, rng.normal(size=(64, 96)).astype(np.float32)) for p in photos[2:]]
    history = []
    checkpoint(net, val_items, fit_items, step=7, minutes_so_far=1.0, history=history, config={}, run=tmp_path)
    (entry,) = torch.load(tmp_path / "ckpt.pt")["history"]
    assert entry == history[0] and entry["step"] == 7
    assert entry["train_absrel"] < 1e-3 and entry["train_delta1"] == 1.0
    assert entry["absrel"] > 0.1 and entry["delta1"] < 0.9
