"""A ResNet built from the shapes in a torchvision-style state dict (CNNDetection's ResNet-50 and smaller).

Wang et al. 2020 ("CNN-generated images are surprisingly easy to spot... for
now", the CNNDetection repository) publish a torchvision ResNet-50 whose
``fc`` layer has one output: the logit that the picture was made by a CNN.
torchvision is not a dependency, so the network is rebuilt here from the
tensors' names and shapes: bottleneck or basic blocks, the number of blocks
per stage and every width come from the state dict itself. torch is imported
inside the functions.
"""

from __future__ import annotations

import re
from typing import Any

from studio.api import StudioError


def _stage_blocks(keys: set[str], stage: int) -> int:
    indices = {int(m.group(1)) for k in keys if (m := re.match(rf"layer{stage}\.(\d+)\.", k))}
    return max(indices) + 1 if indices else 0


def build_resnet(state: dict[str, Any]) -> Any:
    """A ``torch.nn.Module`` with ``state`` loaded (strictly); raises StudioError if it is not a ResNet."""
    import torch
    from torch import nn

    keys = set(state)
    if "conv1.weight" not in keys or "fc.weight" not in keys:
        raise StudioError("The detector is not a torchvision-style ResNet (no conv1.weight / fc.weight).")
    bottleneck = "layer1.0.conv3.weight" in keys
    stages = [_stage_blocks(keys, s) for s in (1, 2, 3, 4)]
    if not all(stages):
        raise StudioError("The detector's state dict lacks some ResNet stages (layer1..layer4).")

    class Block(nn.Module):
        def __init__(self, prefix: str, stride: int) -> None:
            super().__init__()
            w1 = state[f"{prefix}.conv1.weight"]
            self.bottleneck = bottleneck
            if bottleneck:
                w2, w3 = state[f"{prefix}.conv2.weight"], state[f"{prefix}.conv3.weight"]
                self.conv1 = nn.Conv2d(w1.shape[1], w1.shape[0], 1, bias=False)
                self.conv2 = nn.Conv2d(w2.shape[1], w2.shape[0], 3, stride, 1, bias=False)
                self.conv3 = nn.Conv2d(w3.shape[1], w3.shape[0], 1, bias=False)
                self.bn3 = nn.BatchNorm2d(w3.shape[0])
            else:
                w2 = state[f"{prefix}.conv2.weight"]
                self.conv1 = nn.Conv2d(w1.shape[1], w1.shape[0], 3, stride, 1, bias=False)
                self.conv2 = nn.Conv2d(w2.shape[1], w2.shape[0], 3, 1, 1, bias=False)
            self.bn1, self.bn2 = nn.BatchNorm2d(w1.shape[0]), nn.BatchNorm2d(w2.shape[0])
            self.downsample = None
            if f"{prefix}.downsample.0.weight" in state:
                wd = state[f"{prefix}.downsample.0.weight"]
                self.downsample = nn.Sequential(nn.Conv2d(wd.shape[1], wd.shape[0], 1, stride, bias=False),
                                                nn.BatchNorm2d(wd.shape[0]))

        def forward(self, x: Any) -> Any:
            identity = x if self.downsample is None else self.downsample(x)
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.bottleneck:
                out = self.bn3(self.conv3(torch.relu(out)))
            return torch.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = state["conv1.weight"]
            self.conv1 = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], 2, w.shape[2] // 2, bias=False)
            self.bn1 = nn.BatchNorm2d(w.shape[0])
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            for s, count in enumerate(stages, 1):
                blocks = [Block(f"layer{s}.{i}", 2 if (s > 1 and i == 0) else 1) for i in range(count)]
                setattr(self, f"layer{s}", nn.Sequential(*blocks))
            fc = state["fc.weight"]
            self.fc = nn.Linear(fc.shape[1], fc.shape[0])

        def forward(self, x: Any) -> Any:
            x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
            for s in range(1, len(stages) + 1):  # layer1..layer4, made with setattr above
                stage: Any = getattr(self, f"layer{s}")
                x = stage(x)
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))

    model = ResNet()
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "shape mismatch"
        raise StudioError(f"The detector's weights do not fit a ResNet: {first}") from None
    return model.eval()


def strip_prefix(state: dict[str, Any]) -> dict[str, Any]:
    """Drop a common ``model.`` or ``module.`` prefix that training wrappers add."""
    for prefix in ("module.", "model."):
        if state and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state
