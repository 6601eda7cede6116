"""Model files: safetensors headers read by hand, types recognised, bad files refused with clear messages."""

from __future__ import annotations

import json
import struct

import pytest
import torch
from safetensors.torch import save_file

from studio.errors import BadInputError
from studio_plugins.diffusion.families import identify_header
from studio_plugins.diffusion.header import read_header
from studio_plugins.diffusion.library import inspect_model

UNET = "model.diffusion_model."


def write(path, tensors, metadata=None):
    save_file({k: torch.zeros(s) for k, s in tensors.items()}, str(path), metadata=metadata)
    return path


def checkpoint_keys(text_encoder: dict, in_channels: int = 4, context: int = 768):
    keys = {UNET + "input_blocks.0.0.weight": (8, in_channels, 3, 3),
            UNET + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (8, context),
            UNET + "out.2.weight": (4, 8, 3, 3)}
    keys.update(text_encoder)
    return keys


SD1_TE = {"cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (10, 4)}
SD2_TE = {"cond_stage_model.model.token_embedding.weight": (10, 4)}
SDXL_TE = {"conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight": (10, 4),
           "conditioner.embedders.1.model.token_embedding.weight": (10, 4)}


def test_header_lists_tensors_and_shapes(tmp_path):
    path = write(tmp_path / "m.safetensors", {"a.weight": (2, 3), "b": (4,)}, {"modelspec.title": "x"})
    header = read_header(path)
    assert header.shape("a.weight") == (2, 3) and header.shape("b") == (4,)
    assert header.metadata == {"modelspec.title": "x"} and header.parameters() == 10


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[: len(b) - 7], "is truncated"),
    (lambda b: b[:5], "too short to be a safetensors file"),
    (lambda b: b"", "is empty (0 bytes)"),
    (lambda b: struct.pack("<Q", 10**9) + b[8:], "not a safetensors file: its first 8 bytes give a header length"),
    (lambda b: b[:40], "is truncated: its header alone needs"),
    (lambda b: b[:8] + b"[" + b[9:], "not valid JSON"),
])
def test_damaged_files_are_named_with_the_fault(tmp_path, damage, message):
    good = write(tmp_path / "good.safetensors", {"a": (4, 4)}).read_bytes()
    bad = tmp_path / "broken-model.safetensors"
    bad.write_bytes(damage(good))
    with pytest.raises(BadInputError) as err:
        inspect_model(bad)
    assert "broken-model.safetensors" in str(err.value) and message in str(err.value)


def test_offsets_that_do_not_match_the_shape_are_corrupt(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 60]}}).encode()
    path = tmp_path / "odd.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(64))
    with pytest.raises(BadInputError, match=r"odd.safetensors is corrupt: tensor 'w' \(F32 \[4, 4\]\) should take 64"):
        read_header(path)


@pytest.mark.parametrize("keys, family, variant", [
    (checkpoint_keys(SD1_TE), "sd1", ""),
    (checkpoint_keys(SD1_TE, in_channels=9), "sd1", "inpainting"),
    (checkpoint_keys(SD2_TE, context=1024), "sd2", "v-prediction"),
    (checkpoint_keys(SDXL_TE, context=2048), "sdxl", ""),
])
def test_checkpoint_families_are_recognised(tmp_path, keys, family, variant):
    info = inspect_model(write(tmp_path / "model.safetensors", keys))
    assert (info.kind, info.family, info.identity.variant) == ("checkpoint", family, variant)
    assert info.label.endswith("single file")


def test_turbo_is_recognised_from_metadata_and_base_sd2_as_epsilon(tmp_path):
    turbo = write(tmp_path / "a.safetensors", checkpoint_keys(SDXL_TE, context=2048),
                  {"modelspec.architecture": "stable-diffusion-xl-v1-base", "modelspec.title": "SDXL Turbo"})
    assert inspect_model(turbo).label == "SDXL (turbo) model, single file"
    base = inspect_model(write(tmp_path / "v2-1_512-base.safetensors", checkpoint_keys(SD2_TE, context=1024)))
    assert base.identity.variant == "" and base.identity.details["prediction_type"] == "epsilon"


def test_vae_and_lora_files_are_recognised(tmp_path):
    vae = write(tmp_path / "vae-ft-mse.safetensors", {"encoder.conv_in.weight": (8, 3, 3, 3),
                                                       "encoder.conv_out.weight": (8, 8, 3, 3),
                                                       "decoder.conv_out.weight": (3, 8, 3, 3)})
    assert inspect_model(vae).kind == "vae" and inspect_model(vae).identity.details["latent_channels"] == 4
    lora = write(tmp_path / "style.safetensors", {
        "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight": (4, 2048),
        "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight": (320, 4)})
    info = inspect_model(lora)
    assert (info.kind, info.family, info.identity.details["style"]) == ("lora", "sdxl", "kohya")


@pytest.mark.parametrize("keys, message", [
    ({"joint_blocks.0.context_block.adaLN_modulation.1.bias": (4,)}, "SD 3.x loads from a diffusers folder"),
    ({"double_blocks.0.img_attn.norm.key_norm.scale": (4,)}, "a Flux transformer"),
    ({"conditioner.embedders.0.model.ln_final.weight": (4,), UNET + "input_blocks.0.0.weight": (8, 4, 3, 3)},
     "an SDXL refiner"),
    ({"backbone.layer1.conv.weight": (4, 4), "backbone.layer2.conv.weight": (4, 4), "head.fc.weight": (2, 4)},
     "3 tensors with prefixes backbone.layer1 (1), backbone.layer2 (1), head.fc (1)"),
])
def test_unknown_types_are_refused_saying_what_was_found(tmp_path, keys, message):
    path = write(tmp_path / "thing.safetensors", keys)
    with pytest.raises(BadInputError) as err:
        inspect_model(path)
    assert str(err.value).startswith("thing.safetensors is not a model this program can use")
    assert message in str(err.value)


def test_identify_header_of_a_real_tiny_checkpoint(sd1_single_file):
    identity = identify_header(read_header(sd1_single_file))
    assert identity.family == "sd1" and identity.kind == "checkpoint"


def test_pickle_checkpoints_are_refused_unless_weights_only_loading_is_allowed(tmp_path):
    path = tmp_path / "old-model.ckpt"
    torch.save({"state_dict": {k: torch.zeros(s) for k, s in checkpoint_keys(SD1_TE).items()}}, path)
    with pytest.raises(BadInputError) as err:
        inspect_model(path)
    assert "old-model.ckpt is a pickle checkpoint" in str(err.value) and "--allow-pickle" in str(err.value)
    info = inspect_model(path, allow_pickle=True)
    assert (info.family, info.format) == ("sd1", "pickle")


class Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_a_pickle_that_runs_code_is_refused_even_when_allowed(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "payload": Exploit()}, path)
    with pytest.raises(BadInputError, match="evil.pt cannot be loaded as weights only"):
        inspect_model(path, allow_pickle=True)
    assert "this must never run" not in capsys.readouterr().out


def test_folders_are_recognised_from_model_index(sd1_folder, sdxl_folder, sd3_folder, tmp_path):
    assert inspect_model(sd1_folder).label == "SD 1.x (custom) model, diffusers folder"
    assert inspect_model(sdxl_folder).family == "sdxl"
    assert inspect_model(sd3_folder).family == "sd3"
    other = tmp_path / "flux"
    other.mkdir()
    (other / "model_index.json").write_text(json.dumps({"_class_name": "FluxPipeline"}))
    with pytest.raises(BadInputError, match="flux is not a model this program can use: it is a Flux pipeline"):
        inspect_model(other)
