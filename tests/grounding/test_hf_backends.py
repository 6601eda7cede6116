"""The transformers grounding backends (OWLv2, OWL-ViT, Grounding DINO, Florence-2) and the model library.

Tiny random models: their boxes mean nothing, so these tests check the plumbing — folders recognised and
refused, boxes in picture pixels of a non-square picture, labels that are the query phrases, thresholds and
``max_boxes`` — partly by replacing the model's raw output with a known one. Nothing touches the network
(the ``no_network`` guard in conftest fails any test that tries).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from studio.api import BadInputError, StudioError
from studio_plugins.grounding import hf
from studio_plugins.grounding.library import GroundingModel, find_models, resolve_model

DETECTORS = ("owlv2", "owlvit", "grounding-dino")
H, W = 48, 80  # a wide picture: OWLv2 pads it to a square, Grounding DINO keeps its shape


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (H, W, 3), dtype=np.uint8)


def _capture(monkeypatch, backend, edit=None):
    """Run the backend's real model, keep its raw output (and let ``edit`` replace parts of it)."""
    seen = []
    forward = backend.model.forward

    def wrapped(*args, **kwargs):
        out = forward(*args, **kwargs)
        if edit is not None:
            edit(out)
        seen.append(out)
        return out

    monkeypatch.setattr(backend.model, "forward", wrapped)
    return seen


# --- folders: what they are, what is refused -----------------------------------------------------------------------

def test_recognise_folder_kinds(grounding_models, tmp_path, config_folder):
    for kind, folder in grounding_models.items():
        assert hf.recognise_folder(folder) == kind
    remote = config_folder(tmp_path / "florence-remote", {
        "model_type": "florence2", "auto_map": {"AutoModelForCausalLM": "modeling_florence2.Florence2ForCausalLM"},
        "vision_config": {"model_type": "davit"}, "text_config": {"model_type": "florence2_language"}})
    assert hf.recognise_folder(remote) == hf.FLORENCE_REMOTE
    assert hf.recognise_folder(config_folder(tmp_path / "sam", {"model_type": "sam"})) == "sam"
    assert hf.recognise_folder(config_folder(tmp_path / "sam2", {"model_type": "sam2"})) == "sam2"
    assert hf.recognise_folder(config_folder(tmp_path / "bert", {"model_type": "bert"})) is None
    assert hf.recognise_folder(config_folder(tmp_path / "sd", {"_class_name": "StableDiffusionPipeline"},
                                             "model_index.json")) is None
    assert hf.recognise_folder(tmp_path / "missing") is None
    assert hf.recognise_folder(grounding_models["owlv2"] / "config.json") is None  # a file


def test_folders_of_other_kinds_are_refused_with_what_they_are(tmp_path, config_folder):
    diffusers = config_folder(tmp_path / "sd15", {"_class_name": "StableDiffusionPipeline"}, "model_index.json")
    with pytest.raises(StudioError, match=r"sd15 is a diffusers pipeline \(StableDiffusionPipeline\).*OWLv2"):
        hf.load_backend(diffusers)
    sam = config_folder(tmp_path / "sam-vit-base", {"model_type": "sam"})
    with pytest.raises(StudioError, match="a Segment Anything model, not a grounding model.*Grounding DINO"):
        hf.load_backend(sam)
    (tmp_path / "holiday").mkdir()
    with pytest.raises(StudioError, match="holiday is a folder without a config.json"):
        hf.load_backend(tmp_path / "holiday")
    with pytest.raises(StudioError, match="does not exist"):
        hf.load_backend(tmp_path / "nowhere")
    with pytest.raises(StudioError, match="does not exist"):  # a hub name is not a folder: nothing is fetched
        hf.load_backend("google/owlv2-base-patch16-ensemble")
    remote = config_folder(tmp_path / "Florence-2-base", {"model_type": "florence2", "auto_map": {"x": "y"}})
    with pytest.raises(StudioError, match="remote-code form.*never runs code"):
        hf.load_backend(remote)


def test_pickle_only_folder_is_refused_naming_the_file(tmp_path):
    from studio_plugins.grounding import hf_testing

    folder = hf_testing.pickle_only(tmp_path / "owlv2-pickle")
    with pytest.raises(BadInputError, match=r"only as a pickle file \(pytorch_model.bin\).*safetensors") as info:
        hf.load_backend(folder)
    assert "safe_serialization=True" in str(info.value)
    (folder / "pytorch_model.bin").unlink()
    with pytest.raises(BadInputError, match="no .safetensors file"):
        hf.load_backend(folder)


def test_incomplete_folder_is_a_plain_error(grounding_models, tmp_path):
    import shutil

    folder = tmp_path / "owlvit-no-tokenizer"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(grounding_models["owlvit"] / name, folder / name)
    with pytest.raises(StudioError, match="Could not load OWL-ViT from owlvit-no-tokenizer.*folder is complete"):
        hf.load_backend(folder)


def test_loaded_once_per_folder_until_it_changes(grounding_models):
    folder = grounding_models["owlvit"]
    first = hf.load_backend(folder)
    assert hf.load_backend(folder) is first
    assert first.name == "owlvit (folder owlvit)"
    stamp = os.stat(folder / "config.json").st_mtime
    os.utime(folder / "config.json", (stamp + 10, stamp + 10))
    assert hf.load_backend(folder) is not first


# --- detection -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", DETECTORS)
def test_boxes_are_picture_pixels_labelled_with_the_queries(kind, grounding_models, picture, monkeypatch):
    backend = hf.load_backend(grounding_models[kind])
    seen = _capture(monkeypatch, backend)
    queries = ["a red cat", "dog"]
    found = backend.detect(picture, queries, 0.0, 5)
    assert found, "threshold 0 keeps boxes even from random weights"
    for f in found:
        x0, y0, x1, y1 = f.box
        assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H
        assert f.label in queries and 0.0 <= f.score <= 1.0
        assert f.attributes["backend"] == kind
    for query in queries:
        mine = [f for f in found if f.label == query]
        assert 1 <= len(mine) <= 5
        assert [f.score for f in mine] == sorted((f.score for f in mine), reverse=True)
    # every box is one of transformers' own post-processed boxes, clipped to the picture
    (out,) = seen
    if kind == "grounding-dino":
        ids = backend.processor.tokenizer("a red cat. dog.", return_tensors="pt")["input_ids"]
        reference = backend.processor.post_process_grounded_object_detection(
            out, input_ids=ids, threshold=-1.0, text_threshold=2.0, target_sizes=[(H, W)])[0]["boxes"]
    else:
        reference = backend.processor.post_process_grounded_object_detection(
            out, threshold=-1.0, target_sizes=[(H, W)])[0]["boxes"]
    reference = reference.numpy().clip(0, [W, H, W, H])
    for f in found:
        assert np.abs(reference - np.array(f.box)).max(axis=1).min() < 1e-3


@pytest.mark.parametrize("kind", DETECTORS)
def test_threshold_and_max_boxes(kind, grounding_models, picture):
    backend = hf.load_backend(grounding_models[kind])
    queries = ["a red cat", "dog"]
    everything = backend.detect(picture, queries, 0.0, 1000)
    scores = sorted(f.score for f in everything)
    middle = scores[len(scores) // 2]
    assert backend.detect(picture, queries, middle, 1000) == [f for f in everything if f.score >= middle]
    assert len(backend.detect(picture, queries, 1.0, 1000)) < len(everything)
    one = backend.detect(picture, queries, 0.0, 1)
    assert [f.label for f in one] == queries  # the best box of each query
    assert one == [next(f for f in everything if f.label == q) for q in queries]
    assert backend.detect(picture, queries, 0.0, 0) == []
    assert backend.detect(picture, ["  ", ""], 0.0, 5) == []
    with pytest.raises(BadInputError, match="between 0 and 1"):
        backend.detect(picture, queries, 1.5, 5)
    with pytest.raises(BadInputError, match="uint8 RGB"):
        backend.detect(picture[..., 0], queries, 0.5, 5)


@pytest.mark.parametrize("kind", ["owlv2", "owlvit"])
def test_owl_known_output_maps_to_pixels_and_queries(kind, grounding_models, picture, monkeypatch):
    """A known raw output: box 0 answers query 0, box 1 query 1, box 2 (in OWLv2's padding) query 0."""
    import torch

    backend = hf.load_backend(grounding_models[kind])

    def edit(out):
        n = out.logits.shape[1]
        logits = torch.full((1, n, 2), -10.0)
        logits[0, 0, 0], logits[0, 1, 1], logits[0, 2, 0] = 4.0, 2.0, 3.0
        boxes = torch.full((1, n, 4), 0.5)
        boxes[0, 0] = torch.tensor([0.5, 0.25, 0.5, 0.25])
        boxes[0, 1] = torch.tensor([0.25, 0.5, 0.25, 0.5])
        boxes[0, 2] = torch.tensor([0.5, 0.9, 0.2, 0.1])
        out.logits, out.pred_boxes = logits, boxes

    _capture(monkeypatch, backend, edit)
    found = backend.detect(picture, ["a cat", "a dog"], 0.5, 5)
    # OWLv2 predicts in the square the picture was padded to (side max(H, W)); OWL-ViT in the stretched picture
    sx, sy = (W, W) if kind == "owlv2" else (W, H)
    expected = [((0.25 * sx, 0.125 * sy, 0.75 * sx, 0.375 * sy), "a cat", 4.0),
                ((0.125 * sx, 0.25 * sy, 0.375 * sx, min(0.75 * sy, H)), "a dog", 2.0)]
    if kind == "owlvit":  # box 2 lies inside the stretched picture: it is found too
        expected.insert(1, ((0.4 * W, 0.85 * H, 0.6 * W, 0.95 * H), "a cat", 3.0))
    assert len(found) == len(expected)
    for f, (box, label, logit) in zip(found, expected, strict=True):
        assert f.label == label
        assert f.score == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-5)
        assert f.box == pytest.approx(box, abs=1e-3)


def test_grounding_dino_known_output_maps_phrases(grounding_models, picture, monkeypatch):
    """Caption "a red cat. a dog." — tokens [CLS] a red cat . a dog . [SEP]: each box's phrase from its tokens."""
    import torch

    backend = hf.load_backend(grounding_models["grounding-dino"])
    ids = backend.processor.tokenizer("a red cat. a dog.")["input_ids"]
    tokens = backend.processor.tokenizer.convert_ids_to_tokens(ids)
    assert tokens == ["[CLS]", "a", "red", "cat", ".", "a", "dog", ".", "[SEP]"]

    def edit(out):
        logits = torch.full(out.logits.shape, -10.0)
        logits[0, 0, 3] = 4.0  # "cat" → "a red cat"
        logits[0, 1, 6] = 2.0  # "dog" → "A dog"
        logits[0, 2, 4] = 5.0  # the full stop: no phrase
        logits[0, 3, 8] = 5.0  # [SEP]: no phrase
        boxes = torch.full(out.pred_boxes.shape, 0.5)
        boxes[0, 0] = torch.tensor([0.5, 0.5, 0.5, 0.5])
        boxes[0, 1] = torch.tensor([0.1, 0.1, 0.4, 0.4])  # partly outside: clipped
        out.logits, out.pred_boxes = logits, boxes

    _capture(monkeypatch, backend, edit)
    found = backend.detect(picture, ["a red cat", "A dog"], 0.5, 5)
    assert [(f.label, round(f.score, 4)) for f in found] == [("a red cat", 0.982), ("A dog", 0.8808)]
    assert found[0].box == pytest.approx((0.25 * W, 0.25 * H, 0.75 * W, 0.75 * H), abs=1e-3)
    assert found[1].box == pytest.approx((0.0, 0.0, 0.3 * W, 0.3 * H), abs=1e-3)
    assert found[0].attributes["score_kind"] == "token-max"


def test_grounding_dino_splits_a_caption_longer_than_the_model_reads(grounding_models, picture, monkeypatch):
    backend = hf.load_backend(grounding_models["grounding-dino"])
    monkeypatch.setattr(backend.model.config, "max_text_len", 12)
    seen = _capture(monkeypatch, backend)
    queries = ["a red cat", "a blue dog", "a green car", "the sky"]
    found = backend.detect(picture, queries, 0.0, 2)
    assert len(seen) > 1
    assert {f.label for f in found} == set(queries)


def test_florence2_open_vocabulary_detection(grounding_models, picture, monkeypatch):
    import torch

    backend = hf.load_backend(grounding_models["florence2"])
    real = backend.detect(picture, ["a red cat"], 0.5, 3)  # the real generate, end to end (random words)
    assert all(f.label == "a red cat" and 0 <= f.box[0] < f.box[2] <= W for f in real)
    tokenizer = backend.processor.tokenizer
    texts = ["</s><s>red cat<loc_100><loc_200><loc_500><loc_900></s>",
             "</s><s>dog<loc_0><loc_0><loc_999><loc_999>dog<loc_100><loc_100><loc_300><loc_300></s>"]
    rows = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    longest = max(map(len, rows))
    generated = torch.tensor([r + [tokenizer.pad_token_id] * (longest - len(r)) for r in rows])
    calls = []

    def generate(**kwargs):
        calls.append(kwargs)
        return generated

    monkeypatch.setattr(backend.model, "generate", generate)
    found = backend.detect(picture, ["a red cat", "a dog"], 0.9, 5)
    assert calls[0]["input_ids"].shape[0] == 2  # both queries in one batch
    assert [f.label for f in found] == ["a red cat", "a dog", "a dog"]
    assert all(f.score == 1.0 and f.attributes["score_kind"] == "none" for f in found)
    # Florence-2's 1000 location bins over the picture's width and height
    assert found[0].box == pytest.approx((0.1 * W, 0.2 * H, 0.5 * W, 0.9 * H), abs=1.0)
    assert found[1].box == pytest.approx((0, 0, W, H), abs=1.0)
    assert found[2].box == pytest.approx((0.1 * W, 0.1 * H, 0.3 * W, 0.3 * H), abs=1.0)
    assert [f.label for f in backend.detect(picture, ["a red cat", "a dog"], 0.9, 1)] == ["a red cat", "a dog"]
    backend.detect(picture, ["<CAPTION>", "a <OD> dog"], 0.5, 1)  # task tokens in a query are words, not tasks
    assert [backend.processor.tokenizer.decode(ids, skip_special_tokens=True).split("image.")[0]
            for ids in calls[-1]["input_ids"]] == ["Locate CAPTION in the ", "Locate a OD dog in the "]


def test_florence2_polygons_become_a_box_and_a_mask():
    box, mask = hf._polygon_box([[10, 10, 50, 10, 10, 40]], W, H)
    assert box == [10, 10, 50, 40]
    assert mask.shape == (H, W) and mask.dtype == bool
    assert mask[15, 15] and not mask[35, 45]
    assert 600 <= mask.sum() < 600 + 120  # the triangle's area, its outline pixels included


def test_detect_from_several_threads_at_once(grounding_models, picture):
    from concurrent.futures import ThreadPoolExecutor

    backend = hf.load_backend(grounding_models["grounding-dino"])
    alone = backend.detect(picture, ["a red cat", "dog"], 0.2, 3)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: backend.detect(picture, ["a red cat", "dog"], 0.2, 3), range(6)))
    assert all(r == alone for r in results)


@pytest.mark.parametrize("kind", [*DETECTORS, "florence2"])
def test_answer_is_refused_plainly(kind, grounding_models, picture):
    backend = hf.load_backend(grounding_models[kind])
    with pytest.raises(StudioError, match="cannot answer questions.*built-in model"):
        backend.answer(picture, "what colour is the car?")


# --- the library ---------------------------------------------------------------------------------------------------

@pytest.fixture
def model_tree(tmp_path, config_folder):
    """A folder of models (some nested), a ComfyUI installation and an AUTOMATIC1111 one."""
    mine = tmp_path / "mine"
    config_folder(mine / "owlv2-base", {"model_type": "owlv2"})
    config_folder(mine / "detectors" / "dino" / "grounding-dino-tiny", {"model_type": "grounding-dino"})
    config_folder(mine / "a" / "b" / "c" / "too-deep", {"model_type": "owlvit"})
    config_folder(mine / "sd15", {"_class_name": "StableDiffusionPipeline"}, "model_index.json")
    config_folder(mine / "sd15" / "text_encoder", {"model_type": "clip_text_model"})
    comfy = tmp_path / "ComfyUI"
    (comfy / "comfy").mkdir(parents=True)
    config_folder(comfy / "models" / "sams" / "sam-vit-base", {"model_type": "sam"})
    config_folder(comfy / "models" / "LLM" / "Florence-2-base", {"model_type": "florence2"})
    (comfy / "models" / "grounding-dino").mkdir()
    (comfy / "models" / "grounding-dino" / "groundingdino_swint_ogc.pth").write_bytes(b"pickle")
    a1111 = tmp_path / "webui"
    a1111.mkdir()
    (a1111 / "webui.py").write_text("")
    config_folder(a1111 / "extensions" / "sd-webui-segment-anything" / "models" / "grounding-dino" / "gdino-base",
                  {"model_type": "grounding-dino"})
    return mine, comfy, a1111


def test_find_models(model_tree):
    mine, comfy, a1111 = model_tree
    found = find_models([mine, comfy, a1111, mine / "owlv2-base"])
    assert [(m.name, m.kind, m.source) for m in found] == [
        ("grounding-dino-tiny", "grounding-dino", "folder"),
        ("owlv2-base", "owlv2", "folder"),
        ("Florence-2-base", "florence2", "ComfyUI"),
        ("sam-vit-base", "sam", "ComfyUI"),
        ("gdino-base", "grounding-dino", "AUTOMATIC1111"),
    ]
    assert [m.detects for m in found] == [True, True, True, False, True]
    assert [m.segments for m in found] == [False, False, False, True, False]
    assert found[0].to_dict()["type"] == "Grounding DINO"


def test_resolve_model(model_tree, grounding_models):
    mine, comfy, a1111 = model_tree
    folders = [mine, comfy, a1111]
    for name in ("builtin", "studio-grounding", "Built-in", "", "faces"):
        assert resolve_model(name, folders) is None
    assert resolve_model("OWLv2-base", folders) == GroundingModel("owlv2-base", mine / "owlv2-base", "owlv2", "folder")
    assert resolve_model("sam-vit-base", folders).kind == "sam"
    by_path = resolve_model(str(grounding_models["florence2"]), folders)
    assert (by_path.kind, by_path.source, by_path.path) == ("florence2", "path", grounding_models["florence2"])
    with pytest.raises(BadInputError, match=r"No grounding model called 'owl-large' \(known: builtin, faces, "
                                            r"Florence-2-base \(Florence-2\), gdino-base"):
        resolve_model("owl-large", folders)
    with pytest.raises(BadInputError, match="sd15 is a diffusers pipeline"):
        resolve_model(str(mine / "sd15"), folders)
    with pytest.raises(BadInputError, match="does not exist"):
        resolve_model(str(mine / "nothing"), folders)
    original = comfy / "models" / "grounding-dino" / "groundingdino_swint_ogc.pth"
    with pytest.raises(BadInputError, match=r"groundingdino_swint_ogc.pth is a pickle file \(.pth\).*safetensors"):
        resolve_model(str(original), folders)
    twin = mine / "more" / "owlv2-base"
    twin.mkdir(parents=True)
    (twin / "config.json").write_text('{"model_type": "owlv2"}')
    with pytest.raises(BadInputError, match="More than one model is called 'owlv2-base'"):
        resolve_model("owlv2-base", folders)


@pytest.mark.parametrize("block", [7, 256])
def test_overlap_suppression_is_greedy_nms(block, monkeypatch):
    """Blockwise suppression keeps exactly what the one-box-at-a-time greedy NMS keeps."""
    monkeypatch.setattr(hf, "NMS_BLOCK", block)
    rng = np.random.default_rng(1)
    xy = rng.uniform(-10, 90, (300, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0.5, 30, (300, 2))], axis=1).astype(np.float32)
    scores = rng.uniform(0, 1, 300).astype(np.float32)

    def greedy(boxes, threshold, max_boxes):
        b = boxes.copy()
        b[:, 0::2] = b[:, 0::2].clip(0, W)
        b[:, 1::2] = b[:, 1::2].clip(0, H)
        kept = []
        for i in np.argsort(-scores, kind="stable"):
            if scores[i] < threshold or min(b[i, 2] - b[i, 0], b[i, 3] - b[i, 1]) < hf.MIN_SIDE:
                continue
            if all(hf._iou(b[i:i + 1], b[k:k + 1])[0, 0] <= hf.NMS_IOU for k in kept):
                kept.append(int(i))
            if len(kept) == max_boxes:
                break
        return kept

    for threshold, max_boxes in ((0.0, 1000), (0.3, 1000), (0.0, 5), (1.0, 10)):
        assert hf._best(boxes.copy(), scores, W, H, threshold, max_boxes) == greedy(boxes, threshold, max_boxes)
