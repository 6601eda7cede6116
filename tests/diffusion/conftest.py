"""Tiny random-weight models in the SD 1.x, SDXL and SD 3.x layouts, built once per test session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def models_root(tmp_path_factory):
    """A cache directory for the session's model builders (tokenizer files land here, not in ~/.cache)."""
    base = tmp_path_factory.mktemp("diffusion-models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CACHE_DIR", str(base / "cache"))
        yield base


def _build(models_root: Path, name: str, builder: str) -> Path:
    from studio_plugins.diffusion import testing

    folder = models_root / name
    if not (folder / "model_index.json").is_file():
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STUDIO_CACHE_DIR", str(models_root / "cache"))
            testing.save(getattr(testing, builder)(), folder)
    return folder


@pytest.fixture(scope="session")
def sd1_folder(models_root) -> Path:
    return _build(models_root, "tiny-sd1", "tiny_sd1")


@pytest.fixture(scope="session")
def sdxl_folder(models_root) -> Path:
    return _build(models_root, "tiny-sdxl", "tiny_sdxl")


@pytest.fixture(scope="session")
def sd3_folder(models_root) -> Path:
    return _build(models_root, "tiny-sd3", "tiny_sd3")


@pytest.fixture(scope="session")
def sd1_single_file(models_root, sd1_folder) -> Path:
    """The tiny SD 1.x weights as one .safetensors checkpoint in the original (LDM) key layout."""
    from diffusers import StableDiffusionPipeline

    from studio_plugins.diffusion.ldm_layout import save_single_file

    path = models_root / "single" / "tiny-sd1-single.safetensors"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pipe = StableDiffusionPipeline.from_pretrained(str(sd1_folder), local_files_only=True)
        save_single_file(pipe, path)
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app per module, so the pipeline cache works across the module's tests."""
    from studio.application import StudioApp
    from studio.settings import Settings

    base = tmp_path_factory.mktemp("app")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CONFIG_DIR", str(base / "config"))
        mp.setenv("STUDIO_CACHE_DIR", str(base / "cache"))
        application = StudioApp(settings=Settings.load(base / "config" / "settings.json"), device="cpu")
        yield application
    from studio_plugins.diffusion.generate import engine_for

    engine_for(application.host.context("diffusion")).shutdown()


@pytest.fixture
def generate(app):
    """Run the ``generate`` action like the GUI and CLI do; return the finished job and its progress."""
    from studio.jobs import Job, execute

    def run(cancel_after: int | None = None, **params):
        events = []
        job = Job(app.action("generate"), params)

        def listen(j):
            events.append((j.step, j.total, None if j.preview is None else j.preview.copy()))
            if cancel_after is not None and j.step >= cancel_after:
                j.cancel()

        execute(job, app, listen)
        return job, events

    return run


@pytest.fixture
def init_layer():
    from studio.document.layers import Layer

    y, x = np.mgrid[0:64, 0:64]
    pixels = np.dstack([x * 4, y * 4, np.full_like(x, 128)]).astype(np.uint8)
    return Layer(pixels, name="init.png")


@pytest.fixture
def mask_layer():
    from studio.document.layers import Layer

    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    return Layer(mask, name="mask.png", kind="mask")


@pytest.fixture(scope="module")
def lora_file(tmp_path_factory, sd1_folder):
    """A LoRA for the tiny SD 1.x UNet (random, non-zero low-rank weights), in diffusers' file layout."""
    import torch
    from diffusers import StableDiffusionPipeline
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    folder = tmp_path_factory.mktemp("lora")
    pipe = StableDiffusionPipeline.from_pretrained(str(sd1_folder), local_files_only=True)
    torch.manual_seed(0)
    pipe.unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights=False,
                                     target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    StableDiffusionPipeline.save_lora_weights(str(folder), unet_lora_layers=get_peft_model_state_dict(pipe.unet),
                                              weight_name="inkstyle.safetensors", safe_serialization=True)
    return folder / "inkstyle.safetensors"


@pytest.fixture(scope="module")
def vae_file(tmp_path_factory):
    """A different VAE for the tiny model, as a single file in the original layout (like vae-ft-mse)."""
    from safetensors.torch import save_file

    from studio_plugins.diffusion import testing
    from studio_plugins.diffusion.ldm_layout import vae_to_ldm

    vae = testing.vae(seed=9)
    state = {k.removeprefix("first_stage_model."): v.contiguous()
             for k, v in vae_to_ldm(vae.state_dict(), vae.config).items()}
    path = tmp_path_factory.mktemp("vae") / "other-vae.safetensors"
    save_file(state, str(path))
    return path
