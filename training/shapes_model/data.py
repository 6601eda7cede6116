"""On-the-fly training data: rendered shapes-world images with their captions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from studio.world import Scene, caption, render, sample_scene, short_caption
from studio.world.motion import sample_motion_frame

#: Fixed prompts of the training previews and of ``sample_grid.py``'s contact sheet.
PREVIEW_PROMPTS = [
    "a large red circle in the top left on a black background",
    "a small blue star in the bottom right on a gray background",
    "a large yellow square in the centre on a black background",
    "a large green triangle on the right on a white background",
    "a small purple circle at the top on a white background",
    "a large orange star on the left on a gray background",
    "a large white triangle at the bottom on a black background",
    "a small red square in the top right and a large blue circle in the bottom left on a gray background",
]


def render_batch(
    rng: np.random.Generator,
    batch_size: int,
    single_fraction: float = 0.8,
    caption_dropout: float = 0.0,
    image_size: int = 64,
    scenes_out: list[Scene | None] | None = None,
    motion_fraction: float = 0.0,
) -> tuple[torch.Tensor, list[str]]:
    """Render ``batch_size`` random scenes.

    Returns images as a float tensor ``(B, 3, H, W)`` in [-1, 1] and their captions; a
    ``caption_dropout`` fraction of captions is replaced by ``""`` (for classifier-free
    guidance). ``single_fraction`` of the scenes hold exactly one shape, the rest 2-3.
    """
    images = np.empty((batch_size, image_size, image_size, 3), dtype=np.uint8)
    captions: list[str] = []
    for i in range(batch_size):
        if motion_fraction > 0 and rng.random() < motion_fraction:  # a frame of a motion clip, its caption
            images[i], text = sample_motion_frame(rng, image_size)
            if scenes_out is not None:
                scenes_out.append(None)
            captions.append("" if rng.random() < caption_dropout else text)
            continue
        if rng.random() < single_fraction:
            scene = sample_scene(rng, n_shapes=1, size=image_size)
        else:
            scene = sample_scene(rng, n_shapes=int(rng.integers(2, 4)), size=image_size)
        images[i] = render(scene)
        if scenes_out is not None:
            scenes_out.append(scene)
        text = caption(scene)
        captions.append("" if rng.random() < caption_dropout else text)
    tensor = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    return tensor.contiguous(), captions


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``(B, 3, H, W)`` in [-1, 1] -> ``(B, H, W, 3)`` uint8."""
    arr = ((images.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().byte()
    return arr.permute(0, 2, 3, 1).cpu().numpy()


def grid(images: np.ndarray, cols: int) -> np.ndarray:
    """Tile ``(N, H, W, 3)`` images into one image with ``cols`` columns."""
    n, h, w, c = images.shape
    rows = (n + cols - 1) // cols
    out = np.zeros((rows * h, cols * w, c), dtype=images.dtype)
    for i, img in enumerate(images):
        r, col = divmod(i, cols)
        out[r * h : (r + 1) * h, col * w : (col + 1) * w] = img
    return out


class LatentPool:
    """A pool of VAE latent distributions of rendered scenes, refreshed a little each step.

    Encoding every training image costs about a fifth of a UNet step on CPU; drawing batches
    from a pool where ``refresh`` new scenes replace random old ones each step cuts that to a
    quarter while the data stays freshly rendered (each scene is used ~batch/refresh times).
    """

    def __init__(
        self,
        encode: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
        rng: np.random.Generator,
        size: int = 8192,
        single_fraction: float = 0.85,
        chunk: int = 128,
        short_fraction: float = 0.0,
        motion_fraction: float = 0.0,
    ) -> None:
        self.encode = encode
        self.rng = rng
        self.single_fraction = single_fraction
        #: share of sampled captions that leave attributes out (``short_caption``), 0 for full captions only
        self.short_fraction = short_fraction
        #: share of scenes that are a frame of a motion clip with its caption ("... moving right ...")
        self.motion_fraction = motion_fraction
        self.scenes: list[Scene | None] = []
        means, stds, captions = [], [], []
        for _ in range(0, size, chunk):
            m, s, c = self._fresh(chunk)
            self.scenes += self._new_scenes
            means.append(m)
            stds.append(s)
            captions += c
        self.mean = torch.cat(means)[:size]
        self.std = torch.cat(stds)[:size]
        self.captions = captions[:size]
        self.scenes = self.scenes[:size]

    def _fresh(self, n: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        scenes: list[Scene | None] = []
        images, captions = render_batch(self.rng, n, self.single_fraction, scenes_out=scenes,
                                        motion_fraction=self.motion_fraction)
        self._new_scenes = scenes
        mean, std = self.encode(images)
        return mean.half(), std.half(), captions

    def refresh(self, n: int) -> None:
        """Replace ``n`` random entries with newly rendered and encoded scenes."""
        idx = self.rng.choice(len(self.captions), size=n, replace=False)
        mean, std, captions = self._fresh(n)
        self.mean[idx] = mean
        self.std[idx] = std
        for i, c, scene in zip(idx, captions, self._new_scenes, strict=True):
            self.captions[int(i)] = c
            self.scenes[int(i)] = scene

    def sample(
        self, batch: int, caption_dropout: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, list[str]]:
        """A batch of latent samples (float32) and captions (some dropped to ``""``)."""
        idx = self.rng.integers(len(self.captions), size=batch)
        t_idx = torch.from_numpy(idx)
        mean, std = self.mean[t_idx].float(), self.std[t_idx].float()
        latents = mean + std * torch.randn(mean.shape, generator=generator)
        captions = ["" if self.rng.random() < caption_dropout else self._caption(int(i)) for i in idx]
        return latents, captions

    def _caption(self, i: int) -> str:
        scene = self.scenes[i]
        if scene is not None and self.short_fraction > 0 and self.rng.random() < self.short_fraction:
            return short_caption(scene, self.rng)[0]
        return self.captions[i]
