"""The built-in grounding model's network: a small CenterNet-style detector for the shapes world.

One forward pass gives, on a grid of stride 4 over a 128×128 letterboxed input: a centre heatmap
(one class: "a shape"), the box size and sub-cell offset at each centre, the shape's kind and colour
as class scores, and a foreground mask. Queries are resolved over these detections by
:mod:`.query` (kind, colour, size, position and relations between the shapes found).

Torch is imported by the functions that need it, never at module import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

INPUT = 128
STRIDE = 4
KINDS: tuple[str, ...] = ("circle", "square", "triangle", "star")
COLOURS: tuple[str, ...] = ("red", "green", "blue", "yellow", "purple", "orange", "white")


@dataclass(frozen=True)
class NetConfig:
    """Architecture hyper-parameters (saved next to the weights as ``config.json``)."""

    widths: tuple[int, ...] = (24, 48, 72, 112, 144)
    head: int = 64
    input: int = INPUT
    stride: int = STRIDE
    kinds: tuple[str, ...] = KINDS
    colours: tuple[str, ...] = COLOURS

    def to_dict(self) -> dict[str, Any]:
        return {"architecture": "studio-shapes-centernet", "widths": list(self.widths), "head": self.head,
                "input": self.input, "stride": self.stride, "kinds": list(self.kinds), "colours": list(self.colours)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetConfig:
        return cls(widths=tuple(int(w) for w in data["widths"]), head=int(data["head"]), input=int(data["input"]),
                   stride=int(data["stride"]), kinds=tuple(data["kinds"]), colours=tuple(data["colours"]))


def build(config: NetConfig | None = None) -> torch.nn.Module:
    """A fresh (randomly initialised) network."""
    import torch
    from torch import nn

    cfg = config or NetConfig()

    def conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU())

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.a = conv(cin, cout, stride)
            self.b = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
            self.act = nn.SiLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.a(x)
            return self.act(y + self.b(y))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = cfg.widths
            self.stem = conv(3, w[0], 2)  # 1/2
            self.d1 = Block(w[0], w[1], 2)  # 1/4
            self.d2 = Block(w[1], w[2], 2)  # 1/8
            self.d3 = Block(w[2], w[3], 2)  # 1/16
            self.d4 = Block(w[3], w[4], 2)  # 1/32
            self.ctx = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(w[4], w[4], 1), nn.SiLU())
            self.u3 = conv(w[4] + w[3], w[3])
            self.u2 = conv(w[3] + w[2], w[2])
            self.u1 = conv(w[2] + w[1], cfg.head)
            self.trunk = Block(cfg.head, cfg.head, 1)
            n_out = 1 + 2 + 2 + len(cfg.kinds) + len(cfg.colours) + 1
            last = nn.Conv2d(cfg.head, n_out, 1)
            with torch.no_grad():
                assert last.bias is not None
                last.bias.zero_()
                last.bias[0] = -2.19  # CenterNet's prior: heatmap starts near 0.1
            self.out = nn.Sequential(conv(cfg.head, cfg.head), last)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            up = nn.functional.interpolate
            s = self.stem(x)
            f1 = self.d1(s)
            f2 = self.d2(f1)
            f3 = self.d3(f2)
            f4 = self.d4(f3)
            f4 = f4 + self.ctx(f4)
            y = self.u3(torch.cat([up(f4, size=f3.shape[-2:], mode="nearest"), f3], 1))
            y = self.u2(torch.cat([up(y, size=f2.shape[-2:], mode="nearest"), f2], 1))
            y = self.u1(torch.cat([up(y, size=f1.shape[-2:], mode="nearest"), f1], 1))
            return self.out(self.trunk(y))

    return Net()


def split(out: torch.Tensor, config: NetConfig | None = None) -> dict[str, torch.Tensor]:
    """Name the output channels: heat (logit), wh, offset, kind, colour (logits), mask (logit)."""
    cfg = config or NetConfig()
    nk, nc = len(cfg.kinds), len(cfg.colours)
    return {
        "heat": out[:, 0],
        "wh": out[:, 1:3],
        "offset": out[:, 3:5],
        "kind": out[:, 5 : 5 + nk],
        "colour": out[:, 5 + nk : 5 + nk + nc],
        "mask": out[:, 5 + nk + nc],
    }
