"""The student: a small depth network for onnxruntime-web's wasm backend on a phone-class CPU.

A U-Net whose encoder is MobileNetV2-style inverted residual blocks (1x1 expand, 3x3 depthwise,
1x1 project) over five stride-2 levels, and whose decoder upsamples bilinearly, concatenates the
skip connection and applies depthwise-separable convolutions. It predicts log-disparity at a
quarter of the resolution, upsampled bilinearly to the input size.

Budget (384x288 input): ~0.52 GMAC and < 1 M parameters (so fp32 weights fit in 4 MB): depthwise
convolutions keep the cost low, the deep levels (few pixels) hold most of the parameters.

    net = DepthNet(ModelConfig())
    log_disparity = net(image)  # (B, 3, H, W) RGB/255, H and W multiples of 32 -> (B, 1, H, W)
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch_required  # noqa: F401  (says which extra to install when torch is missing)

# ImageNet statistics: a fixed input standardisation, folded into the graph.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


@dataclass
class ModelConfig:
    stem: int = 16  # channels at stride 2
    widths: tuple = (32, 48, 96, 144)  # encoder channels at strides 4, 8, 16, 32
    depths: tuple = (2, 3, 4, 3)  # inverted residual blocks per encoder level
    expansion: int = 4  # hidden width factor of the inverted residual blocks
    # Decoder channels at strides 16, 8, 4 (and 2 if given a 4th); stopping at stride 4 halves
    # the training cost, and the teacher's labels hold no finer detail anyway.
    decoder: tuple = (96, 56, 40)


def conv_bn(cin, cout, kernel=1, stride=1, groups=1, relu=True):
    """Conv -> BatchNorm (-> ReLU); BatchNorm folds into the conv at export."""
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: expand (1x1), depthwise 3x3 (maybe strided), linear project (1x1)."""

    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(
            conv_bn(cin, hidden),
            conv_bn(hidden, hidden, 3, stride, groups=hidden),
            conv_bn(hidden, cout, relu=False),
        )

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class SeparableBlock(nn.Module):
    """Depthwise 3x3 -> pointwise 1x1: the decoder's convolution at a fraction of the cost."""

    def __init__(self, cin, cout):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cin, 3, groups=cin), conv_bn(cin, cout))

    def forward(self, x):
        return self.body(x)


class DepthNet(nn.Module):
    """(B, 3, H, W) RGB/255 -> (B, 1, H, W) log-disparity (larger = nearer, up to a shift)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))
        self.stem = nn.Sequential(conv_bn(3, config.stem, 3, 2), InvertedResidual(config.stem, config.stem, 1, 1))
        levels, cin = [], config.stem
        for width, depth in zip(config.widths, config.depths):
            blocks = [InvertedResidual(cin, width, 2, config.expansion)]
            blocks += [InvertedResidual(width, width, 1, config.expansion) for _ in range(depth - 1)]
            levels.append(nn.Sequential(*blocks))
            cin = width
        self.encoder = nn.ModuleList(levels)
        skips = (config.stem,) + tuple(config.widths[:-1])  # strides 2, 4, 8, 16
        ups, cin = [], config.widths[-1]
        for skip, width in zip(reversed(skips), config.decoder):
            ups.append(nn.Sequential(SeparableBlock(cin + skip, width), SeparableBlock(width, width)))
            cin = width
        self.decoder = nn.ModuleList(ups)
        self.head = nn.Conv2d(cin, 1, 3, padding=1)

    def forward(self, image):
        size = image.shape[-2:]
        x = self.stem((image - self.mean) / self.std)  # (B, stem, H/2, W/2)
        skips = [x]
        for level in self.encoder:
            x = level(x)
            skips.append(x)  # strides 4, 8, 16, 32
        skips.pop()  # the deepest level is x itself
        for up in self.decoder:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = up(torch.cat([x, skip], 1))  # (B, width, h, w) at the skip's stride
        x = self.head(x)  # (B, 1, H/4, W/4)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def count_macs(net, height=288, width=384):
    """Multiply-accumulates of one forward pass (convolutions only, they dominate)."""
    total = 0

    def hook(module, _, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() * kh * kw * module.in_channels // module.groups

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net.eval()(torch.zeros(1, 3, height, width))
    for h in handles:
        h.remove()
    return total
