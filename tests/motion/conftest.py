"""A tiny SD 1.x-layout checkpoint and tiny random motion modules that fit it, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

CHANNELS = (32, 64)


def build_base(folder: Path) -> Path:
    """A tiny StableDiffusionPipeline folder: 2 levels, 1 layer per level, a VAE that divides by 8."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel

    from studio_plugins.diffusion import testing

    if (folder / "model_index.json").is_file():
        return folder
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=CHANNELS, layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
        cross_attention_dim=32, attention_head_dim=8, norm_num_groups=32,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    ).eval()
    pipe = StableDiffusionPipeline(
        vae=testing.vae((32, 32, 32, 32)), text_encoder=testing.clip_text(), tokenizer=testing.tokenizer(),
        unet=unet, scheduler=EulerDiscreteScheduler(**testing.SD_SCHEDULE), safety_checker=None,
        feature_extractor=None, requires_safety_checker=False)
    return testing.save(pipe, folder)


@pytest.fixture(scope="session")
def motion_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("motion-models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CACHE_DIR", str(base / "cache"))
        yield base


@pytest.fixture(scope="session")
def base_model(motion_root) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CACHE_DIR", str(motion_root / "cache"))
        return build_base(motion_root / "tiny-sd1")


@pytest.fixture(scope="session")
def adapter():
    from studio_plugins.motion.testing import tiny_adapter

    return tiny_adapter(CHANNELS, 1, mid_block=True)


@pytest.fixture(scope="session")
def module_file(motion_root, adapter) -> Path:
    from studio_plugins.motion.testing import save_single_file

    path = motion_root / "AnimateDiff" / "mm_tiny_v2.safetensors"
    return path if path.exists() else save_single_file(adapter, path)


@pytest.fixture(scope="session")
def module_folder(motion_root, adapter) -> Path:
    from studio_plugins.motion.testing import save_folder

    folder = motion_root / "AnimateDiff" / "tiny-adapter"
    return folder if (folder / "config.json").exists() else save_folder(adapter, folder)


@pytest.fixture(scope="session")
def motion_lora(motion_root, adapter) -> Path:
    from studio_plugins.motion.testing import save_motion_lora

    path = motion_root / "motion_lora" / "tiny_lora_pan.safetensors"
    return path if path.exists() else save_motion_lora(adapter, path, scale=4.0)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from studio.application import StudioApp
    from studio.settings import Settings

    base = tmp_path_factory.mktemp("motion-app")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CONFIG_DIR", str(base / "config"))
        mp.setenv("STUDIO_CACHE_DIR", str(base / "cache"))
        application = StudioApp(settings=Settings.load(base / "config" / "settings.json"), device="cpu")
        yield application
    from studio_plugins.motion.engine import engine_for

    engine_for(application.host.context("motion")).shutdown()


@pytest.fixture
def generate(app, base_model, module_file):
    """Run ``video.generate`` like the GUI and CLI do (tiny model, 2 steps, 64 px); return the finished job."""
    from studio.jobs import Job, execute

    def run(prompt="a red circle moving right", on_change=None, **params):
        action = app.action("video.generate")
        values = {"prompt": prompt, "model": str(base_model), "motion_module": str(module_file), "frames": 8,
                  "steps": 2, "size": "64x64", "seed": 7, "guidance": 1.0} | params
        job = Job(action=action, params=values)
        execute(job, app, on_change)
        return job

    return run
