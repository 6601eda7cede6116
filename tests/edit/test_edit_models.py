"""Edit models: recognised from their UNet's 8 input channels (folder and single file), listed by the library,
loaded offline, and refused with what to use instead where the other kind is expected."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import save_file

from studio.errors import BadInputError
from studio_plugins.diffusion.families import identify_header
from studio_plugins.diffusion.header import read_header
from studio_plugins.diffusion.library import ModelLibrary, inspect_model

UNET = "model.diffusion_model."
SD1_TE = {"cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (10, 4)}


def write_header_only(path, in_channels, text_encoder):
    """A checkpoint with just the tensors identification reads (zeros), in the original layout."""
    keys = {UNET + "input_blocks.0.0.weight": (8, in_channels, 3, 3),
            UNET + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (8, 768),
            UNET + "out.2.weight": (4, 8, 3, 3),
            **text_encoder}
    save_file({k: torch.zeros(s) for k, s in keys.items()}, str(path))
    return path


def test_single_file_with_8_input_channels_is_an_instruct_pix2pix_edit_model(tmp_path):
    info = inspect_model(write_header_only(tmp_path / "ip2p.safetensors", 8, SD1_TE))
    assert (info.kind, info.family) == ("edit", "instruct-pix2pix")
    assert info.label == "InstructPix2Pix edit model, single file"
    assert info.identity.details["in_channels"] == 8


@pytest.mark.parametrize("text_encoder, base", [
    ({"conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight": (10, 4),
      "conditioner.embedders.1.model.token_embedding.weight": (10, 4)}, "SDXL"),
    ({"cond_stage_model.model.token_embedding.weight": (10, 4)}, "SD 2.x"),
])
def test_edit_checkpoints_of_other_bases_are_named_not_guessed(tmp_path, text_encoder, base):
    with pytest.raises(BadInputError, match=f"holds an {base}-based edit checkpoint"):
        inspect_model(write_header_only(tmp_path / "other.safetensors", 8, text_encoder))


def test_tiny_model_is_recognised_as_a_folder_and_as_a_file(ip2p_folder, ip2p_single_file):
    folder, single = inspect_model(ip2p_folder), inspect_model(ip2p_single_file)
    assert (folder.kind, folder.family, folder.format) == ("edit", "instruct-pix2pix", "diffusers")
    assert (single.kind, single.family, single.format) == ("edit", "instruct-pix2pix", "safetensors")
    assert read_header(ip2p_single_file).shape(UNET + "input_blocks.0.0.weight")[1] == 8
    assert identify_header(read_header(ip2p_single_file)).kind == "edit"


def test_a_folder_is_recognised_by_its_unet_weights_not_only_its_class_name(ip2p_folder, tmp_path):
    relabelled = shutil.copytree(ip2p_folder, tmp_path / "relabelled")
    index = json.loads((relabelled / "model_index.json").read_text())
    index["_class_name"] = "StableDiffusionPipeline"
    (relabelled / "model_index.json").write_text(json.dumps(index))
    config = json.loads((relabelled / "unet" / "config.json").read_text())
    config["in_channels"] = 4  # a wrong config: the weights' header says 8
    (relabelled / "unet" / "config.json").write_text(json.dumps(config))
    info = inspect_model(relabelled)
    assert (info.kind, info.family) == ("edit", "instruct-pix2pix")


def test_the_library_lists_edit_models_in_a1111_and_comfyui_folders(ip2p_folder, ip2p_single_file, sd1_folder,
                                                                    tmp_path):
    a1111, comfy = tmp_path / "webui", tmp_path / "ComfyUI"
    (a1111 / "models" / "Stable-diffusion").mkdir(parents=True)
    (comfy / "models" / "checkpoints").mkdir(parents=True)
    shutil.copy(ip2p_single_file, a1111 / "models" / "Stable-diffusion" / "instruct-pix2pix-00-22000.safetensors")
    shutil.copy(ip2p_single_file, comfy / "models" / "checkpoints" / "ip2p.safetensors")
    library = ModelLibrary({"a1111_dirs": [str(a1111)], "comfyui_dirs": [str(comfy)],
                            "model_dirs": [str(ip2p_folder.parent)]})
    edits = {(m.name, m.source) for m in library.scan() if m.kind == "edit"}
    assert {("instruct-pix2pix-00-22000", "AUTOMATIC1111"), ("ip2p", "ComfyUI"), ("tiny-ip2p", "folder")} <= edits
    assert library.resolve("ip2p", "edit").path.name == "ip2p.safetensors"
    assert "tiny-sd1" not in {m.name for m in library.scan() if m.kind == "edit"}


def test_an_edit_model_where_a_text_to_image_model_is_expected_says_what_to_do(ip2p_single_file):
    with pytest.raises(BadInputError) as err:
        ModelLibrary({}).resolve(str(ip2p_single_file), "checkpoint")
    text = str(err.value)
    assert "is an InstructPix2Pix edit model" in text and "does not make pictures from a prompt" in text
    assert "studio edit IMAGE INSTRUCTION --model" in err.value.hint


def test_a_text_to_image_model_where_an_edit_model_is_expected_says_what_to_do(sd1_folder):
    with pytest.raises(BadInputError) as err:
        ModelLibrary({}).resolve(str(sd1_folder), "edit")
    assert "a text-to-image model: editing by instruction needs an InstructPix2Pix model" in str(err.value)
    assert "takes 4)" in str(err.value) and "studio generate PROMPT --init IMAGE" in err.value.hint


def test_no_edit_model_given_and_none_configured_is_a_clear_message():
    with pytest.raises(BadInputError, match="needs an InstructPix2Pix model .* and Studio ships none"):
        ModelLibrary({}).resolve("", "edit")


def test_an_edit_model_pickle_is_refused_like_any_other(tmp_path):
    path = tmp_path / "instruct-pix2pix.ckpt"
    path.write_bytes(b"not opened")
    with pytest.raises(BadInputError, match="pickle files can run code when loaded"):
        ModelLibrary({}).resolve(str(path), "edit")


def test_shipped_config_builds_the_published_instruct_pix2pix_unet():
    from accelerate import init_empty_weights
    from diffusers import UNet2DConditionModel

    from studio_plugins.diffusion.tokenizer_files import CONFIGS

    config = json.loads((CONFIGS / "instruct-pix2pix" / "unet" / "config.json").read_text())
    with init_empty_weights():
        unet = UNet2DConditionModel.from_config(config)
    # timbrooks/instruct-pix2pix: SD 1.5's UNet (859,520,964 parameters) with 4 more input channels on conv_in
    assert sum(p.numel() for p in unet.parameters()) == 859_520_964 + 320 * 4 * 3 * 3
    index = json.loads((CONFIGS / "instruct-pix2pix" / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionInstructPix2PixPipeline"


def test_eight_input_channels_on_an_eight_channel_vae_stay_a_text_to_image_model(tmp_path):
    """The built-in studio-shapes UNet takes 8 channels because its VAE makes 8: it predicts 8, an edit UNet 4."""
    from studio_plugins.diffusion.library import BUILTIN_MODEL, builtin_dir

    builtin = inspect_model(builtin_dir() / BUILTIN_MODEL)
    assert (builtin.kind, builtin.family) == ("checkpoint", "sd1")
    keys = {UNET + "input_blocks.0.0.weight": (8, 8, 3, 3), UNET + "out.2.weight": (8, 8, 3, 3), **SD1_TE}
    save_file({k: torch.zeros(s) for k, s in keys.items()}, str(tmp_path / "eight.safetensors"))
    with pytest.raises(BadInputError, match="a UNet with 8 input channels"):
        inspect_model(tmp_path / "eight.safetensors")
