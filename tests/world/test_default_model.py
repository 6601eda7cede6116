"""The world's tokenizer and the exported built-in model folder (offline)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "assets" / "models" / "studio-shapes"
sys.path.insert(0, str(ROOT / "training"))  # for the shapes_model package

transformers = pytest.importorskip("transformers")


def test_tokenizer_uses_whole_word_tokens(tmp_path: Path) -> None:
    from shapes_model.build_tokenizer import write_tokenizer

    from studio.world import caption, sample_scene

    write_tokenizer(tmp_path)
    tok = transformers.CLIPTokenizer.from_pretrained(tmp_path)
    rng = np.random.default_rng(0)
    for _ in range(50):
        text = caption(sample_scene(rng))
        tokens = tok.tokenize(text)
        assert tokens == [w + "</w>" for w in text.split()]
        ids = tok(text, padding="max_length", max_length=tok.model_max_length).input_ids
        assert len(ids) == tok.model_max_length and ids[0] == tok.bos_token_id
    assert tok.tokenize("make the circle blue") == ["make</w>", "the</w>", "circle</w>", "blue</w>"]
    assert len(tok) < 400


@pytest.mark.skipif(not (MODEL / "model_index.json").exists(), reason="model not exported yet")
def test_exported_model_folder_is_small_and_loads_offline() -> None:
    weights = sum(f.stat().st_size for f in MODEL.rglob("*.safetensors"))
    assert weights < 16e6
    assert not list(MODEL.rglob("*.bin")) and not list(MODEL.rglob("*.pt"))
    index = json.loads((MODEL / "model_index.json").read_text())
    assert index["requires_safety_checker"] is False and index["safety_checker"] == [None, None]
    assert (MODEL / "README.md").exists()

    os.environ["HF_HUB_OFFLINE"] = "1"
    torch = pytest.importorskip("torch")
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(MODEL)
    pipe.set_progress_bar_config(disable=True)
    assert pipe.unet.dtype == pipe.text_encoder.dtype == pipe.vae.dtype
    out = pipe(
        "a large red circle in the top left on a black background",
        num_inference_steps=2,
        generator=torch.Generator().manual_seed(0),
        output_type="np",
    ).images
    assert out.shape == (1, 64, 64, 3) and np.isfinite(out).all()


@pytest.mark.skipif(not (MODEL / "model_index.json").exists(), reason="model not exported yet")
def test_shipped_model_draws_what_the_prompt_asks() -> None:
    """The shipped weights are trained, not random: read back with the classical analyzer,
    generated images show the asked background, colour, shape, size and position (the benchmark
    measures the same on 200 captions)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    torch = pytest.importorskip("torch")
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline

    from studio.world.analyze import analyze
    from studio.world.vocab import POSITION_PHRASES

    pipe = StableDiffusionPipeline.from_pretrained(MODEL, dtype=torch.float32)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    asked = [
        ("black", "red", "circle", "large", "top left"),
        ("white", "blue", "square", "large", "bottom right"),
        ("gray", "yellow", "triangle", "large", "centre"),
        ("black", "green", "star", "large", "right"),
        ("white", "purple", "triangle", "small", "top"),
        ("gray", "orange", "square", "small", "bottom left"),
    ]
    prompts = [
        f"a {size} {colour} {kind} {POSITION_PHRASES[position]} on a {bg} background"
        for bg, colour, kind, size, position in asked
    ]
    gens = [torch.Generator().manual_seed(i) for i in range(len(prompts))]
    images = pipe(prompts, num_inference_steps=20, guidance_scale=5.0, generator=gens, output_type="np").images
    got = [analyze((np.asarray(img) * 255).round().astype(np.uint8)) for img in images]
    found = [(g.background, g.colour, g.kind, g.size, g.position) for g in got]
    for attribute in range(5):
        right = sum(f[attribute] == a[attribute] for f, a in zip(found, asked, strict=True))
        assert right >= 5, (attribute, found)
