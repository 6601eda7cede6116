"""Motion modules offline: folder vs single file, the type from the header, bad files refused before any work."""

from __future__ import annotations

import numpy as np
import pytest

from studio.api import BadInputError, SafetensorsHeader, TensorInfo
from studio.jobs import JobState
from studio_plugins.motion.engine import check_fits
from studio_plugins.motion.kinds import adapter_config, identify
from studio_plugins.motion.modules import MotionFile, inspect_motion


def fake_header(name, channels, layers=2, mid=False, positions=32, lora=False) -> SafetensorsHeader:
    tensors = {}

    def add(key, shape):
        tensors[key] = TensorInfo("F16", shape, 0, 0)

    def block(prefix, c):
        t = f"{prefix}.temporal_transformer"
        if lora:
            add(f"{t}.transformer_blocks.0.attention_blocks.0.processor.to_q_lora.down.weight", (4, c))
            return
        add(f"{t}.proj_in.weight", (c, c))
        add(f"{t}.transformer_blocks.0.attention_blocks.0.pos_encoder.pe", (1, positions, c))
        add(f"{t}.norm.weight", (c,))

    for level, c in enumerate(channels):
        for j in range(layers):
            block(f"down_blocks.{level}.motion_modules.{j}", c)
    if mid:
        block("mid_block.motion_modules.0", channels[-1])
    from pathlib import Path

    return SafetensorsHeader(path=Path(name), tensors=tensors)


@pytest.mark.parametrize("name,channels,mid,positions,version,base,variant", [
    ("mm_sd_v14.safetensors", (320, 640, 1280, 1280), False, 24, "v1", "sd15", ""),
    ("mm_sd_v15_v2.safetensors", (320, 640, 1280, 1280), True, 32, "v2", "sd15", ""),
    ("v3_sd15_mm.safetensors", (320, 640, 1280, 1280), False, 32, "v3", "sd15", ""),
    ("mm_sdxl_v10_beta.safetensors", (320, 640, 1280), False, 32, "sdxl-beta", "sdxl", ""),
    ("animatediff_lightning_4step_diffusers.safetensors", (320, 640, 1280, 1280), True, 32, "v2", "sd15",
     "lightning"),
    ("AnimateLCM_sd15_t2v.safetensors", (320, 640, 1280, 1280), True, 32, "v2", "sd15", "lcm"),
])
def test_the_module_type_is_read_from_the_header(name, channels, mid, positions, version, base, variant):
    kind = identify(fake_header(name, channels, mid=mid, positions=positions))
    assert (kind.kind, kind.version, kind.base, kind.variant, kind.mid_block, kind.positions) == \
        ("module", version, base, variant, mid, positions)
    config = adapter_config(kind)
    assert config["block_out_channels"] == list(channels) and config["use_motion_mid_block"] == mid
    assert config["motion_max_seq_length"] == positions and config["motion_num_attention_heads"] == 8
    if variant == "lightning":
        assert kind.defaults == {"steps": 4, "guidance": 1.0, "scheduler": "euler-trailing"}


def test_a_motion_lora_and_a_non_motion_file_are_told_apart():
    assert identify(fake_header("v2_lora_PanLeft.safetensors", (320, 640, 1280, 1280), lora=True)).kind == "lora"
    from pathlib import Path

    other = SafetensorsHeader(path=Path("x.safetensors"), tensors={"model.diffusion_model.x": TensorInfo("F16", (1,),
                                                                                                       0, 2)})
    with pytest.raises(BadInputError, match="not a motion module"):
        identify(other)


def test_an_sdxl_module_on_an_sd15_checkpoint_is_refused(base_model):
    sdxl = MotionFile(base_model / "mm_sdxl_v10_beta.safetensors",
                      identify(fake_header("mm_sdxl_v10_beta.safetensors", (320, 640, 1280))), "safetensors")
    with pytest.raises(BadInputError, match="made for SDXL"):
        check_fits(sdxl, base_model)


def test_a_folder_and_a_single_file_with_the_same_weights_make_the_same_frames(generate, module_file, module_folder):
    assert inspect_motion(module_file).kind.layout == "original"
    assert inspect_motion(module_folder).format == "diffusers"
    a = generate(motion_module=str(module_file))
    b = generate(motion_module=str(module_folder))
    assert a.state == b.state == JobState.FINISHED, (a.error, b.error)
    assert np.array_equal(np.stack(a.result.clips[0].frames), np.stack(b.result.clips[0].frames))


def test_a_module_for_another_unet_is_refused_before_loading(generate, motion_root, app):
    from studio_plugins.motion.engine import engine_for
    from studio_plugins.motion.testing import save_single_file, tiny_adapter

    path = save_single_file(tiny_adapter((64, 128, 128), 1), motion_root / "wrong" / "mm_shapes.safetensors")
    engine = engine_for(app.host.context("motion"))
    loads = engine.loads
    job = generate(motion_module=str(path))
    assert job.state == JobState.FAILED and "does not fit the model" in job.error
    assert engine.loads == loads


def test_a_truncated_module_is_refused(generate, module_file, tmp_path):
    cut = tmp_path / "mm_cut.safetensors"
    data = module_file.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    job = generate(motion_module=str(cut))
    assert job.state == JobState.FAILED and "truncated" in job.error


def test_pickles_are_refused_unless_allowed(generate, adapter, tmp_path, app):
    import torch

    from studio_plugins.motion.testing import original_state_dict

    path = tmp_path / "mm_tiny.ckpt"
    torch.save(original_state_dict(adapter), path)
    job = generate(motion_module=str(path))
    assert job.state == JobState.FAILED and "pickle" in job.error
    settings = app.host.context("motion").settings
    settings["allow_pickle"] = True
    try:
        assert inspect_motion(path, allow_pickle=True).kind.channels == (32, 64)
        assert generate(motion_module=str(path)).state == JobState.FINISHED
    finally:
        settings["allow_pickle"] = False


def test_modules_are_found_in_webui_and_comfyui_folders(motion_root, module_file, motion_lora, tmp_path):
    from studio_plugins.motion.modules import MotionLibrary

    a1111 = tmp_path / "webui"
    (a1111 / "extensions/sd-webui-animatediff/model").mkdir(parents=True)
    (a1111 / "extensions/sd-webui-animatediff/model" / module_file.name).write_bytes(module_file.read_bytes())
    comfy = tmp_path / "comfy"
    (comfy / "models/animatediff_models").mkdir(parents=True)
    (comfy / "models/animatediff_models" / "other.safetensors").write_bytes(module_file.read_bytes())
    library = MotionLibrary({"a1111_dirs": [str(a1111)], "comfyui_dirs": [str(comfy)],
                             "motion_dirs": [str(motion_lora.parent)]})
    found = {(m.name, m.source, m.kind.kind) for m in library.scan()}
    assert ("mm_tiny_v2", "AUTOMATIC1111", "module") in found and ("other", "ComfyUI", "module") in found
    assert ("tiny_lora_pan", "folder", "lora") in found
    assert library.resolve("mm_tiny_v2").path.parent.name == "model"


def test_without_a_module_the_missing_builtin_is_explained(generate, monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_BUILTIN_MODELS", str(tmp_path))
    job = generate(motion_module="")
    assert job.state == JobState.FAILED and "built-in motion module is not installed yet" in job.error


def test_a_module_that_fits_the_builtin_studio_shapes_model_runs(generate, motion_root):
    from studio.api import builtin_models_dir
    from studio_plugins.motion.testing import save_folder, tiny_adapter

    shapes = builtin_models_dir() / "studio-shapes"
    if not (shapes / "model_index.json").is_file():
        pytest.skip("the built-in model is not in this checkout")
    folder = save_folder(tiny_adapter((64, 128, 128), 1), motion_root / "shapes-motion")
    job = generate(model=str(shapes), motion_module=str(folder), frames=8, steps=2, size="")
    assert job.state == JobState.FINISHED, job.error
    frames = job.result.clips[0].frames
    assert len(frames) == 8 and frames[0].shape == (64, 64, 3)
