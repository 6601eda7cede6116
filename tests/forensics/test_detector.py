"""The built-in upsampling-trace detector and detectors the user supplies (safetensors only)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from studio.errors import BadInputError
from studio_plugins.forensics.detector import builtin_model, detector_analysis, image_score
from studio_plugins.forensics.features import FEATURE_NAMES, patch_features
from studio_plugins.forensics.source import open_image
from studio_plugins.forensics.userdetector import load_user_detector, user_detector_section


@pytest.fixture(scope="module")
def held_out():
    import detector_data as dd

    sources = dd.load_sources()
    return dd, {name: sources[name] for name in dd.HELD_OUT if name in sources}


def auc(positives: list[float], negatives: list[float]) -> float:
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def test_the_model_says_what_it_was_trained_on():
    model = builtin_model()
    meta = model.meta
    assert meta["validated_against_real_generators"] is False
    assert set(meta["held_out_sources"]).isdisjoint(meta["train_sources"])
    held = meta["metrics"]["held_out"]
    assert held["image"]["auc"] > 0.9 and held["patch"]["auc"] > 0.9
    assert model.weights.shape == (len(FEATURE_NAMES),)
    card = (model.path.parent / "upsampling-logreg.md").read_text()
    assert "NOT validated against today's real generators" in card and f"{held['image']['auc']:.3f}" in card


def test_upsampled_pictures_score_higher_than_originals_on_held_out_data(held_out):
    dd, sources = held_out
    assert len(sources) >= 3
    generated = {k: v for k, v in dd.generated_variants(7).items()
                 if k in ("nearest2", "bilinear2", "bicubic2", "tconv2", "jpeg_chain")}
    natural, upsampled = [], []
    for img in sources.values():
        original = image_score(dd.to_gray(img))
        natural += [original, image_score(dd.to_gray(dd.jpeg(img, 85)))]
        scores = [image_score(dd.to_gray(fn(img))) for fn in generated.values()]
        assert min(scores) > original  # every generator-style version of the picture outranks the original
        upsampled += scores
    assert auc(upsampled, natural) >= 0.95


def test_detector_section_states_its_limits(tmp_path, coffee):
    path = tmp_path / "coffee.png"
    Image.fromarray(coffee).save(path)
    result = detector_analysis(open_image(path))
    assert result.state == "no-traces" and result.data["score"] < 0.3
    assert result.data["validated_against_real_generators"] is False
    assert "not validated against today's real generators" in result.findings[1].explanation.lower()
    assert result.heatmap.ndim == 2 and result.heatmap.max() <= 1.0


def save_tiny_resnet(path, bias: float, metadata: dict[str, str]) -> None:
    """A small torchvision-layout ResNet (bottleneck blocks, [1, 2, 1, 1], width 4) with one output."""
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    state: dict[str, torch.Tensor] = {}

    def conv(name, out_c, in_c, k):
        state[f"{name}.weight"] = torch.randn(out_c, in_c, k, k) * 0.1

    def bn(name, c):
        state.update({f"{name}.weight": torch.ones(c), f"{name}.bias": torch.zeros(c),
                      f"{name}.running_mean": torch.zeros(c), f"{name}.running_var": torch.ones(c),
                      f"{name}.num_batches_tracked": torch.tensor(0)})

    conv("conv1", 4, 3, 7)
    bn("bn1", 4)
    channels = 4
    for stage, (blocks, width) in enumerate(zip([1, 2, 1, 1], [4, 8, 16, 32], strict=True), 1):
        for i in range(blocks):
            prefix = f"layer{stage}.{i}"
            conv(f"{prefix}.conv1", width, channels, 1)
            bn(f"{prefix}.bn1", width)
            conv(f"{prefix}.conv2", width, width, 3)
            bn(f"{prefix}.bn2", width)
            conv(f"{prefix}.conv3", width * 4, width, 1)
            bn(f"{prefix}.bn3", width * 4)
            if i == 0:
                conv(f"{prefix}.downsample.0", width * 4, channels, 1)
                bn(f"{prefix}.downsample.1", width * 4)
            channels = width * 4
    state["fc.weight"] = torch.zeros(1, channels)  # the logit is the bias: a known answer
    state["fc.bias"] = torch.tensor([bias])
    save_file({f"model.{k}": v.contiguous() for k, v in state.items()}, str(path), metadata=metadata)


def test_user_resnet_detector_with_its_stated_provenance(tmp_path, coffee):
    model_path = tmp_path / "cnndetection-tiny.safetensors"
    save_tiny_resnet(model_path, bias=2.0, metadata={"name": "Tiny CNNDetection-style test net",
                                                     "trained_on": "nothing (test weights)", "threshold": "0.6"})
    detector = load_user_detector(model_path)
    assert detector.kind == "resnet" and detector.threshold == 0.6
    image = tmp_path / "coffee.png"
    Image.fromarray(coffee).save(image)
    section = user_detector_section(detector, open_image(image))
    assert section.data["score"] == pytest.approx(1 / (1 + np.exp(-2.0)), abs=1e-4)
    assert section.state == "above-threshold"
    assert section.title == "Your detector: Tiny CNNDetection-style test net"
    stated = next(f for f in section.findings if f.label == "Provenance it states")
    assert "trained on: nothing (test weights)" in stated.value and "not checked" in stated.explanation


def test_user_resnet_really_runs_the_network(tmp_path, coffee):
    import torch
    from safetensors.torch import load_file, save_file

    model_path = tmp_path / "net.safetensors"
    save_tiny_resnet(model_path, bias=0.0, metadata={})
    state = load_file(str(model_path))
    state["model.fc.weight"] = torch.randn(state["model.fc.weight"].shape, generator=torch.Generator().manual_seed(3))
    save_file(state, str(model_path))
    detector = load_user_detector(model_path)
    a = detector.score(open_image(_save(tmp_path / "a.png", coffee)))
    b = detector.score(open_image(_save(tmp_path / "b.png", np.ascontiguousarray(coffee[::-1, ::-1]))))
    assert 0.0 < a < 1.0 and 0.0 < b < 1.0 and abs(a - b) > 1e-6  # the picture matters, not only the bias


def _save(path, img):
    Image.fromarray(img).save(path)
    return path


def test_user_linear_probe_on_studio_features(tmp_path, coffee):
    from safetensors.numpy import save_file

    model = builtin_model()
    probe = tmp_path / "probe.safetensors"
    save_file({"weight": model.weights.astype(np.float32), "bias": np.array([model.bias], np.float32),
               "mean": model.mean.astype(np.float32), "scale": model.scale.astype(np.float32)}, str(probe),
              metadata={"name": "My probe"})
    (tmp_path / "probe.json").write_text(json.dumps({"source": "retrained by the newsroom", "license": "CC0"}))
    detector = load_user_detector(probe)
    assert detector.kind == "linear-probe"
    assert detector.provenance == {"name": "My probe", "source": "retrained by the newsroom", "license": "CC0"}
    source = open_image(_save(tmp_path / "c.png", coffee))
    assert detector.score(source) == pytest.approx(image_score(source.gray), abs=1e-4)


def test_pickles_and_wrong_files_are_refused(tmp_path):
    import torch

    pickled = tmp_path / "model.pth"
    torch.save({"fc.weight": torch.zeros(1, 4)}, pickled)
    with pytest.raises(BadInputError, match="only .safetensors"):
        load_user_detector(pickled)
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(b"not a safetensors file at all")
    with pytest.raises(BadInputError, match="not a safetensors file"):
        load_user_detector(fake)
    from safetensors.numpy import save_file

    wrong = tmp_path / "wrong.safetensors"
    save_file({"weight": np.zeros(5, np.float32), "bias": np.zeros(1, np.float32)}, str(wrong))
    with pytest.raises(BadInputError, match=f"needs {len(FEATURE_NAMES)} weights"):
        load_user_detector(wrong)
    with pytest.raises(BadInputError, match="does not exist"):
        load_user_detector(tmp_path / "missing.safetensors")


def test_features_are_finite_for_flat_and_tiny_patches():
    flat = np.full((2, 128, 128), 128.0, np.float32)
    features = patch_features(flat)
    assert features.shape == (2, len(FEATURE_NAMES)) and np.isfinite(features).all()
    assert image_score(np.full((64, 64), 10.0, np.float32)) is None
