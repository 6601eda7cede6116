"""Box → mask: GrabCut on rendered shapes finds the shape; a SAM folder (a tiny random SAM) is plumbed through."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.api import StudioError
from studio.world import boxes, render, sample_scene
from studio.world.render import shape_alpha
from studio_plugins.grounding.masks import MARGIN, box_to_mask


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _inside_box(mask: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = box
    margin = max(2, round(MARGIN * max(x1 - x0, y1 - y0)))
    outside = mask.copy()
    outside[max(0, y0 - margin): y1 + margin, max(0, x0 - margin): x1 + margin] = False
    return not outside.any()


@pytest.mark.parametrize("size", [64, 128])
def test_grabcut_masks_follow_the_shapes(size):
    rng = np.random.default_rng(1)
    ious = []
    for _ in range(12):
        scene = sample_scene(rng, size=size)
        rgb = render(scene)
        for shape, box in zip(scene.shapes, boxes(scene), strict=True):
            mask, method = box_to_mask(rgb, box.xyxy)
            assert method == "grabcut" and mask.shape == (size, size) and mask.dtype == bool
            assert _inside_box(mask, box.xyxy)
            ious.append(_iou(mask, shape_alpha(shape, size) > 0.5))
    ious_a = np.array(ious)
    assert len(ious_a) >= 15
    assert (ious_a >= 0.8).mean() >= 0.8, np.round(np.sort(ious_a), 2)  # most shapes
    assert np.median(ious_a) >= 0.9 and ious_a.min() >= 0.5


def test_a_hint_mask_seeds_grabcut():
    rng = np.random.default_rng(3)
    scene = sample_scene(rng, n_shapes=1, size=128)
    rgb, (shape,), (box,) = render(scene), scene.shapes, boxes(scene)
    truth = shape_alpha(shape, 128) > 0.5
    hint = np.zeros_like(truth)  # a coarse mask: the box shrunk by a quarter
    x0, y0, x1, y1 = box.xyxy
    dx, dy = (x1 - x0) // 4, (y1 - y0) // 4
    hint[y0 + dy: y1 - dy, x0 + dx: x1 - dx] = True
    mask, method = box_to_mask(rgb, box.xyxy, hint_mask=hint)
    assert method == "grabcut (seeded by the hint mask)"
    assert _iou(mask, truth) >= 0.8 and _inside_box(mask, box.xyxy)


def test_never_empty_the_box_when_nothing_is_found():
    flat = np.full((80, 100, 3), 120, np.uint8)  # nothing to tell apart: GrabCut finds nothing
    mask, method = box_to_mask(flat, (10.4, 20, 50, 60.6))
    assert method.endswith("→ the box (nothing segmented)")
    assert mask.sum() == 40 * 41 and mask[20:61, 10:50].all()


def test_a_box_outside_the_picture_is_refused_and_a_box_over_the_edge_is_clipped():
    rgb = np.zeros((50, 60, 3), np.uint8)
    rgb[10:40, 40:60] = 255  # a white block cut by the right edge
    with pytest.raises(StudioError, match="not inside"):
        box_to_mask(rgb, (70, 0, 90, 20))
    mask, _ = box_to_mask(rgb, (35, 5, 80, 45))  # the box runs over the edge
    assert mask.shape == (50, 60) and _iou(mask, rgb[..., 0] > 0) >= 0.8


def test_the_whole_picture_as_the_box():
    rng = np.random.default_rng(5)
    scene = sample_scene(rng, n_shapes=1, size=64)
    rgb = render(scene)
    mask, method = box_to_mask(rgb, (0, 0, 64, 64))
    assert mask.any() and mask.shape == (64, 64) and "grabcut" in method


@pytest.fixture(scope="module")
def tiny_sam(tmp_path_factory):
    """A SAM of random weights, a few hundred kilobytes, saved as a local folder (no download)."""
    import torch
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor

    config = SamConfig(
        vision_config=dict(hidden_size=32, output_channels=32, num_hidden_layers=2, num_attention_heads=2,
                           image_size=256, patch_size=16, window_size=4, global_attn_indexes=[1], mlp_dim=64,
                           num_pos_feats=16),
        prompt_encoder_config=dict(hidden_size=32, image_size=256, patch_size=16, image_embedding_size=16),
        mask_decoder_config=dict(hidden_size=32, mlp_dim=64, num_attention_heads=2, iou_head_hidden_dim=32),
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-sam")
    SamModel(config).save_pretrained(folder)
    SamProcessor(image_processor=SamImageProcessor(size={"longest_edge": 256},
                                                   pad_size={"height": 256, "width": 256})).save_pretrained(folder)
    return folder


def test_sam_from_a_local_folder_gives_a_mask_of_the_picture_size(tiny_sam):
    rgb = render(sample_scene(np.random.default_rng(2), n_shapes=1, size=96))
    rgb = np.ascontiguousarray(rgb[:, :80])  # not square
    cache: dict = {}
    box = (10, 20, 60, 70)
    mask, method = box_to_mask(rgb, box, sam_folder=tiny_sam, cache=cache)
    assert method.startswith(f"sam ({tiny_sam.name})")
    assert mask.shape == (96, 80) and mask.dtype == bool and mask.any() and _inside_box(mask, box)
    assert len(cache) == 1  # loaded once, kept for the next box
    box_to_mask(rgb, (0, 0, 30, 30), sam_folder=tiny_sam, cache=cache)
    assert len(cache) == 1


def test_a_sam_folder_is_checked_before_loading(tmp_path, tiny_sam):
    with pytest.raises(StudioError, match="no config.json"):
        box_to_mask(np.zeros((8, 8, 3), np.uint8), (0, 0, 4, 4), sam_folder=tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "owlv2"}))
    with pytest.raises(StudioError, match="not SAM"):
        box_to_mask(np.zeros((8, 8, 3), np.uint8), (0, 0, 4, 4), sam_folder=tmp_path)
    (tmp_path / "config.json").write_text((tiny_sam / "config.json").read_text())
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(StudioError, match="no .safetensors"):
        box_to_mask(np.zeros((8, 8, 3), np.uint8), (0, 0, 4, 4), sam_folder=tmp_path)


def test_ground_mask_uses_a_sam_model_from_the_grounding_folders(tiny_sam, tmp_path, capsys):
    """With a SAM folder in Settings → Grounding, `studio ground --mask` prompts SAM with the found box."""
    import json
    import os
    from pathlib import Path

    from PIL import Image

    from studio.cli import main

    config = Path(os.environ["STUDIO_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"plugins": {"grounding": {"model_dirs": [str(tiny_sam)]}}}))
    picture = tmp_path / "scene.png"
    Image.fromarray(render(sample_scene(np.random.default_rng(4), n_shapes=1, size=128))).save(picture)
    out = tmp_path / "mask.png"
    assert main(["ground", str(picture), "the shape", "--mask", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mask_method"].startswith("sam") and Image.open(out).size == (128, 128)
