"""Data for the upsampling-trace detector, all made offline.

Natural pictures: scikit-image's bundled photographs and micrographs, the
pictures in ``../shared/media-samples`` and a keyframe of its video. The
"generated-style" class is the same pictures passed through what image
generators do to pixels: downscaling to a latent-sized grid and upsampling
back (nearest, bilinear, bicubic, a transposed convolution with an uneven
kernel), small convolutional autoencoders (trained here, and untrained),
and JPEG-plus-resize chains. The natural class also gets the processing
cameras and platforms apply (JPEG, downscaling, mild blur, noise) so that the
detector cannot simply learn "compressed" or "soft".

This is a proxy: it is NOT data from real generators.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT.parent / "shared" / "media-samples"

SKIMAGE_SOURCES = ("astronaut", "camera", "chelsea", "clock", "coins", "grass", "gravel", "hubble_deep_field",
                   "immunohistochemistry", "retina", "cell", "coffee", "rocket", "brick", "moon")
MEDIA_SOURCES = ("earth_apollo17.jpg", "sample1.png", "mars.webp")
VIDEO_SOURCE = "legacy.mp4"
# held out from training: whole pictures, so no patch of them is ever seen in training
HELD_OUT = ("coffee", "rocket", "brick", "mars.webp")


def load_sources() -> dict[str, np.ndarray]:
    """Every natural picture as H×W×3 uint8, by name."""
    import skimage.data
    from PIL import Image

    sources: dict[str, np.ndarray] = {}
    for name in SKIMAGE_SOURCES:
        img = np.asarray(getattr(skimage.data, name)())
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        sources[name] = np.ascontiguousarray(img[..., :3]).astype(np.uint8)
    for name in MEDIA_SOURCES:
        path = MEDIA / name
        if path.exists():
            with Image.open(path) as im:
                sources[name] = np.asarray(im.convert("RGB"))
    sources.update(video_keyframes(MEDIA / VIDEO_SOURCE, 2))
    return sources


def video_keyframes(path: Path, count: int) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    import av

    frames: dict[str, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        for n, frame in enumerate(container.decode(stream)):
            frames[f"{path.name}#key{n}"] = frame.to_ndarray(format="rgb24")
            if len(frames) >= count:
                break
    return frames


# -- natural processing -------------------------------------------------------
def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


def resize(img: np.ndarray, factor: float, interpolation: str) -> np.ndarray:
    import cv2

    flags = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
             "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}[interpolation]
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=flags)


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(img, (0, 0), sigma)


def noise(img: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


# -- generator-style processing ------------------------------------------------
def upsample(img: np.ndarray, factor: int, interpolation: str) -> np.ndarray:
    """Down to a coarse grid (area), then up by ``factor`` as a generator's decoder does."""
    small = resize(img, 1.0 / factor, "area")
    return resize(small, float(factor), interpolation)


def transposed_conv(img: np.ndarray, seed: int) -> np.ndarray:
    """Down ×2, then a stride-2 transposed convolution with a random 3×3 kernel: the checkerboard artefact."""
    import cv2

    rng = np.random.default_rng(seed)
    small = resize(img, 0.5, "area").astype(np.float32)
    h, w = small.shape[:2]
    up = np.zeros((h * 2, w * 2, 3), np.float32)
    up[::2, ::2] = small
    kernel = rng.uniform(0.3, 1.0, (3, 3)).astype(np.float32)
    kernel *= 4.0 / kernel.sum()  # the phases of a stride-2 3×3 kernel get uneven weights
    out = cv2.filter2D(up, -1, kernel, borderType=cv2.BORDER_REFLECT)
    # each phase's mean gain differs; a decoder's later layers only partly even it out
    return np.clip(out, 0, 255).astype(np.uint8)


def jpeg_chain(img: np.ndarray) -> np.ndarray:
    return jpeg(upsample(jpeg(img, 80), 2, "linear"), 90)


class Autoencoder:
    """A small convolutional autoencoder (two stride-2 stages), trained or left random, used as a round trip."""

    def __init__(self, seed: int, upsampling: str = "transposed") -> None:
        import torch
        from torch import nn

        torch.manual_seed(seed)
        self.upsampling = upsampling
        if upsampling == "transposed":
            decoder = [nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 3, 4, 2, 1)]
        else:
            decoder = [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(32, 16, 3, 1, 1), nn.ReLU(),
                       nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(16, 3, 3, 1, 1)]
        self.net = nn.Sequential(nn.Conv2d(3, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),
                                 *decoder)

    def train(self, images: list[np.ndarray], steps: int, seed: int) -> float:
        import torch

        rng = np.random.default_rng(seed)
        opt = torch.optim.Adam(self.net.parameters(), lr=2e-3)
        loss_value = 0.0
        for _ in range(steps):
            batch = []
            for _ in range(16):
                img = images[rng.integers(len(images))]
                y = rng.integers(0, img.shape[0] - 64)
                x = rng.integers(0, img.shape[1] - 64)
                batch.append(img[y:y + 64, x:x + 64])
            t = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
            loss = torch.nn.functional.mse_loss(self.net(t), t)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_value = float(loss.detach())
        return loss_value

    def __call__(self, img: np.ndarray) -> np.ndarray:
        import torch

        h, w = img.shape[0] // 4 * 4, img.shape[1] // 4 * 4
        with torch.no_grad():
            t = torch.from_numpy(np.array(img[:h, :w])).permute(2, 0, 1)[None].float() / 127.5 - 1.0
            out = self.net(t)[0].permute(1, 2, 0).numpy()
        return np.clip((out + 1.0) * 127.5, 0, 255).astype(np.uint8)


def natural_variants(seed: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    rng = np.random.default_rng(seed)
    factor = float(rng.uniform(0.5, 0.8))
    return {
        "original": lambda x: x,
        "jpeg75": lambda x: jpeg(x, 75),
        "jpeg92": lambda x: jpeg(x, 92),
        "downscaled": lambda x: resize(x, factor, "area"),
        "blur": lambda x: blur(x, 0.6),
        "noise": lambda x: noise(x, 2.0, seed),
    }


def generated_variants(seed: int, autoencoders: dict[str, Autoencoder] | None = None
                       ) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    variants: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "nearest2": lambda x: upsample(x, 2, "nearest"),
        "bilinear2": lambda x: upsample(x, 2, "linear"),
        "bicubic2": lambda x: upsample(x, 2, "cubic"),
        "bilinear4": lambda x: upsample(x, 4, "linear"),
        "tconv2": lambda x: transposed_conv(x, seed),
        "jpeg_chain": jpeg_chain,
        "bilinear2_jpeg90": lambda x: jpeg(upsample(x, 2, "linear"), 90),
    }
    for name, model in (autoencoders or {}).items():
        variants[name] = model
    return variants


def random_patches(gray: np.ndarray, count: int, size: int, seed: int, min_std: float) -> np.ndarray:
    """Up to ``count`` textured patches at random places (the same places for the same seed and size)."""
    rng = np.random.default_rng(seed)
    h, w = gray.shape
    out = []
    for _ in range(count * 4):
        if len(out) >= count or h < size or w < size:
            break
        y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        patch = gray[y:y + size, x:x + size]
        if patch.std() >= min_std:
            out.append(patch)
    return np.stack(out).astype(np.float32) if out else np.zeros((0, size, size), np.float32)


def to_gray(img: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
