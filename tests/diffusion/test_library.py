"""The model library: the user's own folders (AUTOMATIC1111, ComfyUI) used in place, names, defaults, hashes."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
import torch
from safetensors.torch import save_file

from studio.errors import BadInputError, StudioError
from studio.settings import cache_dir
from studio_plugins.diffusion.hashing import model_sha256
from studio_plugins.diffusion.library import ModelLibrary

SD1 = {"model.diffusion_model.input_blocks.0.0.weight": (8, 4, 3, 3),
       "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (10, 4)}
VAE = {"encoder.conv_in.weight": (8, 3, 3, 3), "encoder.conv_out.weight": (8, 8, 3, 3),
       "decoder.conv_out.weight": (3, 8, 3, 3)}
LORA = {"lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight": (4, 768),
        "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight": (320, 4)}


def write(path, keys):
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: torch.zeros(s) for k, s in keys.items()}, str(path))
    return path


@pytest.fixture
def installs(tmp_path):
    a1111 = tmp_path / "stable-diffusion-webui"
    write(a1111 / "models/Stable-diffusion/dreamy.safetensors", SD1)
    write(a1111 / "models/VAE/vae-ft-mse.safetensors", VAE)
    write(a1111 / "models/Lora/inkstyle.safetensors", LORA)
    (a1111 / "models/Stable-diffusion/broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    comfy = tmp_path / "ComfyUI"
    write(comfy / "models/checkpoints/sub/photo.safetensors", SD1)
    write(comfy / "models/loras/inkstyle.safetensors", LORA)
    return a1111, comfy


def test_a1111_and_comfyui_folders_are_used_in_place(installs):
    a1111, comfy = installs
    library = ModelLibrary({"a1111_dirs": [str(a1111)], "comfyui_dirs": [str(comfy)]})
    found = {(m.source, m.name): m for m in library.scan()}
    assert found[("AUTOMATIC1111", "dreamy")].label == "SD 1.x model, single file"
    assert found[("AUTOMATIC1111", "vae-ft-mse")].kind == "vae"
    assert found[("AUTOMATIC1111", "inkstyle")].label == "SD 1.x LoRA, single file"
    assert found[("ComfyUI", "photo")].path == comfy / "models/checkpoints/sub/photo.safetensors"
    broken = found[("AUTOMATIC1111", "broken")]
    assert broken.identity is None and "broken.safetensors" in broken.error
    # nothing was copied: every path is inside the user's installations
    assert all(str(m.path).startswith((str(a1111), str(comfy))) for m in found.values() if m.source != "built-in")


def test_names_resolve_and_ambiguity_is_explained(installs):
    a1111, comfy = installs
    library = ModelLibrary({"a1111_dirs": [str(a1111)], "comfyui_dirs": [str(comfy)]})
    assert library.resolve("Dreamy").path.name == "dreamy.safetensors"
    assert library.resolve("vae-ft-mse", "vae").kind == "vae"
    with pytest.raises(BadInputError, match="More than one lora is called 'inkstyle'"):
        library.resolve("inkstyle", "lora")
    with pytest.raises(BadInputError, match=r"No checkpoint called 'nothing' \(known: .*dreamy.*photo"):
        library.resolve("nothing")
    with pytest.raises(BadInputError, match="'vae-ft-mse' is a .*VAE.*, not a checkpoint"):
        library.resolve("vae-ft-mse")
    with pytest.raises(BadInputError, match="broken.safetensors is truncated"):
        library.resolve("broken")


def test_default_model_is_the_builtin_one_through_the_same_path(sd1_folder, tmp_path, monkeypatch):
    builtin = tmp_path / "assets-models"
    builtin.mkdir()
    (builtin / "studio-shapes").symlink_to(sd1_folder, target_is_directory=True)
    monkeypatch.setenv("STUDIO_BUILTIN_MODELS", str(builtin))
    library = ModelLibrary({})
    info = library.resolve("")
    assert info.name == "studio-shapes" and info.source == "built-in" and info.format == "diffusers"
    monkeypatch.setenv("STUDIO_BUILTIN_MODELS", str(tmp_path / "nowhere"))
    with pytest.raises(StudioError, match="No model is configured and the built-in model is missing"):
        library.resolve("")


def test_sha256_is_computed_once_and_cached_by_path_size_and_mtime(installs):
    a1111, _ = installs
    path = a1111 / "models/Stable-diffusion/dreamy.safetensors"
    real = hashlib.sha256(path.read_bytes()).hexdigest()
    assert model_sha256(path) == real
    cache_file = cache_dir() / "diffusion" / "hashes.json"
    cache = json.loads(cache_file.read_text())
    (key,) = [k for k in cache if k.startswith(str(path.resolve()))]
    cache[key] = "0" * 64  # a cached value is used as is: the file is not read again
    cache_file.write_text(json.dumps(cache))
    assert model_sha256(path) == "0" * 64
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a changed file is hashed again
    assert model_sha256(path) == real


def test_a_folder_hash_covers_its_files(sd1_folder, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(sd1_folder, copy)
    assert model_sha256(copy) == model_sha256(sd1_folder)
    (copy / "scheduler" / "scheduler_config.json").write_text("{}")
    assert model_sha256(copy) != model_sha256(sd1_folder)
