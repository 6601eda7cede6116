"""A tiny InstructPix2Pix model (8-channel UNet input), as a diffusers folder and as one .safetensors file in the
original (LDM) layout, built once per session in-process (nothing downloaded); a text-to-image one; an app."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def edit_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("edit-models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CACHE_DIR", str(base / "cache"))
        yield base


@pytest.fixture(scope="session")
def ip2p_folder(edit_root) -> Path:
    from studio_plugins.diffusion import testing

    folder = edit_root / "tiny-ip2p"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CACHE_DIR", str(edit_root / "cache"))
        testing.save(testing.tiny_instruct_pix2pix(), folder)
    return folder


@pytest.fixture(scope="session")
def ip2p_single_file(edit_root, ip2p_folder) -> Path:
    """The same weights as one checkpoint, as AUTOMATIC1111 and ComfyUI keep them."""
    from diffusers import StableDiffusionInstructPix2PixPipeline

    from studio_plugins.diffusion.ldm_layout import save_single_file

    path = edit_root / "single" / "tiny-ip2p-single.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    pipe = StableDiffusionInstructPix2PixPipeline.from_pretrained(str(ip2p_folder), local_files_only=True)
    return save_single_file(pipe, path)


@pytest.fixture(scope="session")
def sd1_folder(edit_root) -> Path:
    """A text-to-image model (4-channel UNet input): the wrong kind for an edit."""
    from studio_plugins.diffusion import testing

    folder = edit_root / "tiny-sd1"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CACHE_DIR", str(edit_root / "cache"))
        testing.save(testing.tiny_sd1(), folder)
    return folder


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
def run_edit(app):
    """Run an edit action like the GUI and the CLI do; return the finished job and its progress steps."""
    from studio.jobs import Job, execute

    def run(action: str = "edit_image", cancel_after: int | None = None, **params):
        events = []
        job = Job(app.action(action), params)

        def listen(j):
            events.append((j.step, j.total, j.preview is not None))
            if cancel_after is not None and j.step >= cancel_after:
                j.cancel()

        execute(job, app, listen)
        return job, events

    return run
