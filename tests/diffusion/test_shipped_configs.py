"""The shipped offline configs: the published architectures, fitted back from full-size checkpoint shapes."""

from __future__ import annotations

import json

import pytest
import torch
from accelerate import init_empty_weights
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from studio_plugins.diffusion.families import Identity
from studio_plugins.diffusion.header import SafetensorsHeader, TensorInfo
from studio_plugins.diffusion.ldm_layout import unet_to_ldm, vae_to_ldm
from studio_plugins.diffusion.single_file import config_folder, fitted_configs
from studio_plugins.diffusion.tokenizer_files import CONFIGS, write_tokenizer

# parameter counts of the released models (UNet, VAE, text encoder[, text encoder 2])
PUBLISHED = {
    "sd1": (859_520_964, 83_653_863, 123_060_480),
    "sd2": (865_910_724, 83_653_863, 340_387_840),
    "sdxl": (2_567_463_684, 83_653_863, 123_060_480, 694_659_840),
}


def config(family: str, part: str) -> dict:
    return json.loads((CONFIGS / family / part / "config.json").read_text())


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def build(family: str):
    with init_empty_weights():
        parts = [UNet2DConditionModel.from_config(config(family, "unet")),
                 AutoencoderKL.from_config(config(family, "vae")),
                 CLIPTextModel(CLIPTextConfig(**config(family, "text_encoder")))]
        if family == "sdxl":
            parts.append(CLIPTextModelWithProjection(CLIPTextConfig(**config(family, "text_encoder_2"))))
    return parts


@pytest.mark.parametrize("family", sorted(PUBLISHED))
def test_shipped_configs_build_the_published_architectures(family):
    assert tuple(count(m) for m in build(family)) == PUBLISHED[family]


def ldm_header(family: str) -> SafetensorsHeader:
    """A header with a full-size original checkpoint's tensor names and shapes (built on the meta device)."""
    unet, vae, te, *rest = build(family)
    shapes = {k: tuple(v.shape) for k, v in unet_to_ldm(unet.state_dict(), unet.config).items()}
    shapes.update({k: tuple(v.shape) for k, v in vae_to_ldm(vae.state_dict(), vae.config).items()})
    clip_prefix = {"sd1": "cond_stage_model.transformer.text_model.",
                   "sdxl": "conditioner.embedders.0.transformer.text_model."}
    if family in clip_prefix:
        shapes.update({clip_prefix[family] + k: tuple(v.shape) for k, v in te.state_dict().items()})
    open_clip = {"sd2": ("cond_stage_model.model.", te, 24), "sdxl": ("conditioner.embedders.1.model.",
                                                                     rest[0] if rest else None, 32)}
    if family in open_clip:
        prefix, model, layers = open_clip[family]
        width = model.config.hidden_size
        shapes[prefix + "token_embedding.weight"] = (49408, width)
        shapes[prefix + "positional_embedding"] = (77, width)
        shapes[prefix + "text_projection"] = (width, model.config.projection_dim)
        for i in range(layers):
            shapes[prefix + f"transformer.resblocks.{i}.mlp.c_fc.weight"] = (model.config.intermediate_size, width)
    return SafetensorsHeader(path=CONFIGS, tensors={k: TensorInfo("F16", s, 0, 0) for k, s in shapes.items()})


@pytest.mark.parametrize("family", sorted(PUBLISHED))
def test_configs_fitted_from_full_size_checkpoint_shapes_are_the_shipped_ones(family):
    fitted = fitted_configs(Identity("checkpoint", family), ldm_header(family))
    for part in ("unet", "vae", "text_encoder", "text_encoder_2"):
        if (CONFIGS / family / part).is_dir():
            shipped = config(family, part)
            got = fitted[f"{part}/config.json"]
            assert {k: got.get(k) for k in shipped} == {k: v for k, v in shipped.items()}, part


def test_fitted_config_of_an_inpainting_checkpoint_has_nine_input_channels():
    header = ldm_header("sd1")
    conv = "model.diffusion_model.input_blocks.0.0.weight"
    header.tensors[conv] = TensorInfo("F16", (320, 9, 3, 3), 0, 0)
    fitted = fitted_configs(Identity("checkpoint", "sd1", "inpainting"), header)
    assert fitted["unet/config.json"]["in_channels"] == 9
    assert fitted["model_index.json"]["_class_name"] == "StableDiffusionInpaintPipeline"


def test_config_folder_is_a_complete_offline_diffusers_layout():
    folder = config_folder(Identity("checkpoint", "sdxl", "turbo"), ldm_header("sdxl"))
    tok2 = CLIPTokenizer.from_pretrained(str(folder / "tokenizer_2"))
    assert tok2.pad_token == "!" and len(tok2) == 49408
    scheduler = json.loads((folder / "scheduler" / "scheduler_config.json").read_text())
    assert scheduler["_class_name"] == "EulerAncestralDiscreteScheduler" and scheduler["timestep_spacing"] == "trailing"


def test_tokenizer_from_the_shipped_vocabulary_matches_clip(tmp_path):
    tokenizer = CLIPTokenizer.from_pretrained(str(write_tokenizer(tmp_path / "tok")))
    # ids of OpenAI CLIP's tokenizer for this text
    assert tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert torch.tensor(tokenizer("", padding="max_length", max_length=77).input_ids).shape == (77,)
    shipped = sum(p.stat().st_size for p in CONFIGS.rglob("*") if p.is_file())
    assert shipped < 2_000_000  # the whole shipped config set stays small
