"""Distil the teacher into the student on cached pseudo-labels (CPU, about an hour on 2 cores).

    python models/labels.py                      # once: writes models/cache/labels/
    python models/train.py [key=value ...]       # e.g. python models/train.py minutes=5 out=models/runs/try

Every name in the config block below can be overridden as ``key=value`` on the command line. The
run prints and saves the resolved config (``config.json``) and writes ``ckpt.pt`` (model config +
weights + validation history) into ``out`` after every validation, so an early checkpoint is
always usable.

Schedule: random crops at reduced resolution first (cheap, many views), then the last part at the
full working size (long side 384) so the network sees the scale it runs at.
"""

import dataclasses
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torch_required  # noqa: F401  (says which extra to install when torch is missing)
from evaluate import scores
from model import DepthNet, ModelConfig

ROOT = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------- config
labels = str(ROOT / "cache" / "labels")  # written by labels.py
out = str(ROOT / "runs" / "student")
minutes = 85.0  # wall-clock budget of the training loop (validation included)
full_fraction = 0.3  # last part of the budget trained at full size
crop = 160  # square crop side in the reduced-resolution phase
full_crop = (256, 352)  # (h, w) crop in the full-size phase, from photos at long side 384
batch = 8
full_batch = 4
lr = 2e-3
weight_decay = 1e-4
warmup_steps = 100
grad_weight = 0.5  # weight of the multi-scale gradient matching term
grad_scales = 4
scale_range = (0.6, 1.0)  # crop covers this fraction of the photo's shorter side (reduced phase)
validate_every = 10.0  # minutes
threads = 2
seed = 0
# ------------------------------------------------------------------------------------
CONFIG_KEYS = [
    k
    for k, v in dict(globals()).items()
    if not k.startswith("_") and k.isidentifier() and k.islower() and isinstance(v, (int, float, str, tuple))
]


def parse_overrides(argv):
    """Apply ``key=value`` overrides (values parsed as Python literals when possible)."""
    import ast

    for arg in argv:
        key, _, value = arg.partition("=")
        if key not in CONFIG_KEYS:
            raise SystemExit(f"unknown config key {key!r}; known: {', '.join(CONFIG_KEYS)}")
        try:
            globals()[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            globals()[key] = value
    return {k: globals()[k] for k in CONFIG_KEYS}


# ----------------------------------------------------------------------------- data


def load_split(folder, split):
    """[(rgb (h, w, 3) uint8, label (h, w) float32 log-disparity)] of one split."""
    folder = Path(folder)
    index = json.loads((folder / "index.json").read_text())
    items = []
    for entry in index:
        if entry["split"] == split:
            data = np.load(folder / f"{entry['id']}.npz")
            items.append((data["rgb"], data["label"].astype(np.float32)))
    return items


def colour_jitter(x, rng):
    """Random brightness, contrast, saturation and per-channel gain on (3, h, w) in [0, 1]."""
    grey = x.mean(0, keepdim=True)
    x = grey + (x - grey) * rng.uniform(0.6, 1.4)  # saturation
    x = (x - x.mean()) * rng.uniform(0.7, 1.3) + x.mean()  # contrast
    x = x * rng.uniform(0.7, 1.3) * torch.tensor(rng.uniform(0.9, 1.1, 3), dtype=x.dtype).view(3, 1, 1)
    return x.clamp(0, 1)


def sample_view(rgb, label, size, scale_range, rng):
    """One augmented training view: random crop and scale, flip, colour jitter.

    Returns
    -------
    x : (3, h, w) float32 tensor, RGB/255
    y : (1, h, w) float32 tensor, log-disparity
    """
    h, w = size
    height, width = rgb.shape[:2]
    # The crop window in photo pixels, at least the output's aspect ratio and at most the photo.
    side = rng.uniform(*scale_range) * min(height, width)
    ch, cw = (side, side * w / h) if w >= h else (side * h / w, side)
    shrink = min(1.0, height / ch, width / cw)
    ch, cw = max(8, int(ch * shrink)), max(8, int(cw * shrink))
    top, left = rng.integers(0, height - ch + 1), rng.integers(0, width - cw + 1)
    x = torch.from_numpy(rgb[top : top + ch, left : left + cw]).permute(2, 0, 1).float() / 255
    y = torch.from_numpy(label[top : top + ch, left : left + cw])[None]
    x = F.interpolate(x[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0]
    y = F.interpolate(y[None], size=size, mode="bilinear", align_corners=False)[0]
    if rng.random() < 0.5:
        x, y = x.flip(-1), y.flip(-1)
    return colour_jitter(x, rng), y


def make_batch(items, n, size, scale_range, rng):
    views = [sample_view(*items[rng.integers(len(items))], size, scale_range, rng) for _ in range(n)]
    return torch.stack([v[0] for v in views]), torch.stack([v[1] for v in views])


# ----------------------------------------------------------------------------- loss


def align_scale_shift(pred, target):
    """Per-image least-squares scale and shift of pred onto target: (B, 1, H, W) -> aligned pred."""
    p, t = pred.flatten(1), target.flatten(1)
    pm, tm = p.mean(1, keepdim=True), t.mean(1, keepdim=True)
    scale = ((p - pm) * (t - tm)).mean(1, keepdim=True) / ((p - pm).pow(2).mean(1, keepdim=True) + 1e-6)
    return ((p - pm) * scale + tm).view_as(pred)


def normalise(d):
    """Per image: subtract the median, divide by the mean absolute deviation (MiDaS)."""
    flat = d.flatten(1)
    med = flat.median(1, keepdim=True).values
    mad = (flat - med).abs().mean(1, keepdim=True).clamp_min(1e-6)
    return ((flat - med) / mad).view_as(d)


def gradient_loss(residual, scales):
    """Multi-scale gradient matching: L1 of the residual's finite differences at 4 scales."""
    total = 0.0
    for s in range(scales):
        r = residual[..., :: 2**s, :: 2**s]
        total = total + (r[..., :, 1:] - r[..., :, :-1]).abs().mean() + (r[..., 1:, :] - r[..., :-1, :]).abs().mean()
    return total / scales


def ssi_loss(log_pred, log_target, grad_weight, scales):
    """Scale-and-shift-invariant L1 in disparity space plus gradient matching (MiDaS).

    Both maps are log-disparity; the comparison is on disparity, the quantity the app and the
    evaluation align, normalised per image so near and far scenes weigh the same.
    """
    target = normalise(torch.exp(log_target))
    pred = align_scale_shift(torch.exp(log_pred.clamp(-12, 12)), target)
    residual = pred - target
    return residual.abs().mean() + grad_weight * gradient_loss(residual, scales)


# ----------------------------------------------------------------------------- validation


@torch.no_grad()
def validate(net, items):
    """Agreement with the pseudo-labels: mean AbsRel and delta1 of each photo whole (at long side
    384, padded to /32), scored exactly as evaluate.py scores the student against the teacher."""
    net.eval()
    results = []
    for rgb, label in items:
        h, w = label.shape
        x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255
        x = F.pad(x, (0, -w % 32, 0, -h % 32), mode="reflect")  # as the app pads (model_io.prepare_model_input)
        disparity = torch.exp(net(x)[0, 0, :h, :w]).numpy()
        results.append(scores(disparity, np.exp(-label)))
    net.train()
    absrel, delta1 = np.mean(results, 0)
    return float(absrel), float(delta1)


# ----------------------------------------------------------------------------- training


def main():
    config = parse_overrides(sys.argv[1:])
    print(json.dumps(config, indent=1))
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    random.seed(seed)
    run = Path(out)
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps(config, indent=1))

    train_items, val_items = load_split(labels, "train"), load_split(labels, "val")
    # As many training photos as held out: the gap between the two shows overfitting.
    fit_items = train_items[: len(val_items)]
    print(f"{len(train_items)} training photos, {len(val_items)} held out")
    model_config = ModelConfig()
    net = DepthNet(model_config).to(memory_format=torch.channels_last)
    print(f"{sum(p.numel() for p in net.parameters())} parameters")
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)

    start = time.time()
    budget = minutes * 60
    history, step, last_val = [], 0, start
    while (elapsed := time.time() - start) < budget:
        progress = elapsed / budget
        full = progress >= 1 - full_fraction
        size, n, scales = (full_crop, full_batch, (0.75, 1.0)) if full else ((crop, crop), batch, scale_range)
        x, y = make_batch(train_items, n, size, scales, rng)
        # Warmup, then cosine decay on wall-clock progress (the budget is time, not steps).
        lr_now = lr * min(1.0, (step + 1) / warmup_steps) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in opt.param_groups:
            group["lr"] = lr_now
        loss = ssi_loss(net(x.contiguous(memory_format=torch.channels_last)), y, grad_weight, grad_scales)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 20 == 0:
            print(
                f"step {step} {elapsed / 60:.1f} min loss {loss.item():.4f} lr {lr_now:.2e} "
                f"{'full' if full else 'crop'}",
                flush=True,
            )
        if time.time() - last_val > validate_every * 60:
            checkpoint(net, val_items, fit_items, step, (time.time() - start) / 60, history, config, run)
            train_items = load_split(labels, "train")  # labels.py may still be adding photos
            last_val = time.time()
    checkpoint(net, val_items, fit_items, step, (time.time() - start) / 60, history, config, run)
    print(f"done: {step} steps in {(time.time() - start) / 60:.1f} min")


def checkpoint(net, val_items, fit_items, step, minutes_so_far, history, config, run):
    """Validate on held-out and on training photos, append to the history, save model config +
    weights + history."""
    (absrel, delta1), (fit_absrel, fit_delta1) = validate(net, val_items), validate(net, fit_items)
    history.append(
        {
            "step": step,
            "minutes": minutes_so_far,
            "absrel": absrel,
            "delta1": delta1,
            "train_absrel": fit_absrel,
            "train_delta1": fit_delta1,
        }
    )
    print(
        f"validation step {step}: AbsRel {absrel:.4f} delta1 {delta1:.4f} "
        f"(training photos: {fit_absrel:.4f} / {fit_delta1:.4f})",
        flush=True,
    )
    torch.save(
        {
            "model_config": dataclasses.asdict(net.config),
            "model": net.state_dict(),
            "config": config,
            "history": history,
        },
        run / "ckpt.pt",
    )


if __name__ == "__main__":
    main()
