"""Step previews: a cheap linear projection of the latents to RGB, no VAE decode.

Standard Stable Diffusion and SDXL VAEs use fixed, published 4×3 matrices.
For any other VAE (a custom or 16-channel one) the projection is fitted once
per loaded model by least squares on a few synthetic colour images encoded
with that VAE, so every family gets a recognisable preview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np  # imported on first use: the window appears first

from .families import SD_LATENT_RGB, SDXL_LATENT_BIAS, SDXL_LATENT_RGB

STANDARD_VAE_CHANNELS = [128, 256, 512, 512]


class LatentPreview:
    """Turns a latent batch into a small RGB uint8 image (the first item)."""

    def __init__(self, matrix: np.ndarray, bias: np.ndarray, upscale: int = 1, source: str = "fixed") -> None:
        self.matrix = np.asarray(matrix, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.upscale = max(1, int(upscale))
        self.source = source
        self._cache: dict[Any, Any] = {}

    def reset(self) -> None:
        """Forget an in-flight GPU copy (called when a new run starts)."""
        self._cache.pop("pending", None)

    def __call__(self, latents: Any) -> np.ndarray | None:
        """The preview of ``latents``. On a GPU the copy is asynchronous and never waits for the GPU:
        the call returns the newest preview whose copy has finished (one step behind), or None."""
        import torch

        lat = latents[0]
        key = (lat.device, lat.dtype)
        if key not in self._cache:
            self._cache[key] = (torch.from_numpy(self.matrix).to(lat.device, lat.dtype),
                                torch.from_numpy(self.bias).to(lat.device, lat.dtype))
        matrix, bias = self._cache[key]
        with torch.no_grad():
            rgb = torch.einsum("chw,cr->hwr", lat, matrix) + bias
            rgb = ((rgb + 1.0) * 127.5).clamp(0, 255).to(torch.uint8)
            if lat.device.type == "cuda":
                return self._async(rgb)
            return self._finish(rgb.cpu().numpy())

    def _async(self, rgb: Any) -> np.ndarray | None:
        import torch

        ready = None
        pending = self._cache.get("pending")
        if pending is not None and pending[0].query():
            ready = self._finish(pending[1].numpy().copy())
            pending = None
        if pending is None:  # start the next copy only when the last one has landed
            host = torch.empty(rgb.shape, dtype=rgb.dtype, pin_memory=True)
            host.copy_(rgb, non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            self._cache["pending"] = (event, host)
        return ready

    def _finish(self, rgb: np.ndarray) -> np.ndarray:
        if self.upscale > 1:
            rgb = rgb.repeat(self.upscale, axis=0).repeat(self.upscale, axis=1)
        return rgb


def preview_for(pipe: Any, family_latent_rgb: Any, family_bias: Any) -> LatentPreview:
    """The preview projection for a loaded pipeline: fixed for standard VAEs, else fitted once."""
    vae = pipe.vae
    config = vae.config
    factor = 2 ** (len(config.block_out_channels) - 1)
    side = max(1, min(factor, 256 // 64))  # previews of about 256 pixels for 64×64 latents
    standard = list(config.block_out_channels) == STANDARD_VAE_CHANNELS and config.latent_channels == 4
    if standard and family_latent_rgb is not None:
        if abs(float(config.scaling_factor) - 0.13025) < 1e-4:
            return LatentPreview(np.array(SDXL_LATENT_RGB), np.array(SDXL_LATENT_BIAS), side)
        return LatentPreview(np.array(SD_LATENT_RGB), np.zeros(3), side)
    return fit_preview(vae, side)


def _fit_images(factor: int, n: int = 4, blocks: int = 6) -> np.ndarray:
    """Deterministic mosaics of random colours; each tile spans two latent pixels."""
    rng = np.random.default_rng(0)
    tile = 2 * factor
    colours = rng.uniform(-1.0, 1.0, size=(n, blocks, blocks, 3)).astype(np.float32)
    return colours.repeat(tile, axis=1).repeat(tile, axis=2)  # n × H × W × 3 in [-1, 1]


def fit_preview(vae: Any, upscale: int = 1) -> LatentPreview:
    """Least-squares latent → RGB projection for this VAE (one small encode)."""
    import torch

    config = vae.config
    factor = 2 ** (len(config.block_out_channels) - 1)
    images = _fit_images(factor)
    param = next(vae.parameters())
    x = torch.from_numpy(images).permute(0, 3, 1, 2).to(param.device, param.dtype)
    with torch.no_grad():
        posterior = vae.encode(x).latent_dist.mean.float().cpu()
    shift = float(getattr(config, "shift_factor", None) or 0.0)
    latents = (posterior - shift) * float(config.scaling_factor)
    n, c, h, w = latents.shape
    pooled = torch.nn.functional.avg_pool2d(torch.from_numpy(images).permute(0, 3, 1, 2), factor)
    a = latents.permute(0, 2, 3, 1).reshape(-1, c).numpy()
    b = pooled.permute(0, 2, 3, 1).reshape(-1, 3).numpy()
    design = np.concatenate([a, np.ones((a.shape[0], 1), np.float32)], axis=1)
    solution, *_ = np.linalg.lstsq(design, b, rcond=None)
    return LatentPreview(solution[:-1], solution[-1], upscale, source="fitted")
