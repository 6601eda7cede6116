"""Visual grounding: text in, boxes out — on pictures, timeline frames and whole videos.

``studio ground FILE QUERY`` and the Find objects action. The built-in model (trained by this
project on the shapes world, ``assets/models/studio-grounding``) is the default; OWLv2/OWL-ViT,
Grounding DINO and Florence-2 load offline from local folders; faces have a detector of their own.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import (
    Action,
    ActionResult,
    BadInputError,
    Command,
    OutputBoxes,
    OutputImage,
    Param,
    PluginContext,
    Progress,
    hookimpl,
)

if TYPE_CHECKING:
    import numpy as np

Run = Generator[Progress, None, ActionResult]

MODEL_HELP = ("a Grounding DINO, OWLv2, OWL-ViT or Florence-2 folder, a name from the model folders, or 'faces' "
              "(empty: the built-in shapes-world model; faces go to the face detector)")


def _folders(ctx: Any) -> list[Path]:
    plugin = getattr(ctx, "plugin", ctx)
    settings = getattr(plugin, "settings", {}) or {}
    return [Path(p).expanduser() for p in settings.get("model_dirs", []) if p]


def _setup(ctx: Any, params: dict[str, Any]) -> tuple[Any, list[str], float, int]:
    from . import engine
    from .query import split_queries

    queries = split_queries(params["query"])
    threshold = engine.check_threshold(params["threshold"])
    max_boxes = engine.check_max_boxes(params["max_boxes"])
    backend = engine.open_backend(params.get("model") or None, _folders(ctx))
    return backend, queries, threshold, max_boxes


def _picture(params: dict[str, Any], name: str = "image") -> Any:
    layer = params[name]
    if layer is None:
        raise BadInputError("Choose a picture (a layer or the frame at the playhead) first.")
    return layer


def run_find(ctx: Any, params: dict[str, Any]) -> Run:
    from . import engine

    layer = _picture(params)
    backend, queries, threshold, max_boxes = _setup(ctx, params)
    yield Progress(0, 1, f"finding {params['query']!r} with {backend.name}")
    ctx.check_cancelled()
    found = backend.detect(layer.rgb(), queries, threshold, max_boxes)
    boxes = engine.to_boxes(found)
    messages = [engine.summary(found)] + list(getattr(backend, "notes", []))
    yield Progress(1, 1)
    return ActionResult(boxes=[OutputBoxes(boxes, layer.size, name=f"Found: {params['query']}")], messages=messages,
                        data={"model": backend.name})


def run_track(ctx: Any, params: dict[str, Any]) -> Run:
    from . import engine

    clip = params["clip"]
    if clip is None:
        raise BadInputError("Choose a clip on the timeline first.")
    backend, queries, threshold, max_boxes = _setup(ctx, params)
    # ground frame by frame, yielding progress as each frame is done
    from .track import Tracker

    tracker = Tracker()
    boxes = []
    n = 0
    for n, frame in enumerate(clip.frames(), 1):
        ctx.check_cancelled()
        found = backend.detect(frame, queries, threshold, max_boxes)
        boxes += engine.to_boxes(found, n - 1, tracker.update(n - 1, found))
        yield Progress(n, clip.count, f"frame {n}: {len(found)} boxes")
    if n == 0:
        raise BadInputError("The clip has no frame to look at.")
    messages = [f"{len(boxes)} boxes in {len({b.frame for b in boxes})} of {n} frames, "
                f"{len({b.track_id for b in boxes})} tracks"] + list(getattr(backend, "notes", []))
    return ActionResult(boxes=[OutputBoxes(boxes, clip.size, name=f"Track: {params['query']}", frame_count=n,
                                           fps=clip.fps, start=clip.start)], messages=messages,
                        data={"model": backend.name})


def run_ask(ctx: Any, params: dict[str, Any]) -> Run:
    from . import engine

    layer = _picture(params)
    question = (params["question"] or "").strip()
    if not question:
        raise BadInputError("The question is empty: ask e.g. \"what colour is the star?\"")
    backend = engine.open_backend(params.get("model") or None, _folders(ctx))
    yield Progress(0, 1, f"asking {backend.name}")
    ans = backend.answer(layer.rgb(), question)
    yield Progress(1, 1)
    boxes = engine.to_boxes(ans.found)
    return ActionResult(boxes=[OutputBoxes(boxes, layer.size, name=f"Answer: {ans.answer}")] if boxes else [],
                        messages=[f"{question} — {ans.answer}"], data={"answer": ans.answer, "model": backend.name})


def run_mask(ctx: Any, params: dict[str, Any]) -> Run:
    from .types import Found

    layer = _picture(params)
    found_boxes = params["boxes"]
    if found_boxes is None or not found_boxes.boxes:
        raise BadInputError("Choose the boxes to turn into a mask (a box layer) first.")
    rgb = layer.rgb()
    h, w = rgb.shape[:2]
    bw, bh = found_boxes.size
    sx, sy = w / max(1, bw), h / max(1, bh)
    from .cli import mask_of, sam_folder

    boxes = [b for b in found_boxes.boxes if b.frame is None or b.frame == getattr(layer, "frame", b.frame)]
    found = [Found((b.x0 * sx, b.y0 * sy, b.x1 * sx, b.y1 * sy), b.label, b.score or 1.0) for b in boxes]
    sam = sam_folder(_folders(ctx))
    yield Progress(0, 1, f"making a mask from {len(found)} boxes" + (f" with {sam.name}" if sam else ""))
    mask, methods = mask_of(rgb, found, sam, getattr(getattr(ctx, "plugin", None), "state", None))
    yield Progress(1, 1)
    return ActionResult(masks=[OutputImage(mask, name=f"Mask: {found_boxes.name}", kind="mask")],
                        messages=[f"mask by {', '.join(dict.fromkeys(methods))}"])


def run_check(ctx: Any, params: dict[str, Any]) -> Run:
    from . import builtin, engine
    from .check import check

    layer = _picture(params)
    prompt = (params.get("prompt") or "").strip()
    record = getattr(layer, "record", None)
    if not prompt and record is not None:
        prompt = str(record.params.get("prompt", "") or "")
    if not prompt:
        raise BadInputError("Say which prompt to check the picture against (this picture has none recorded).")
    yield Progress(0, 1, "looking for what the prompt asked")
    result = check(builtin.load().scene(layer.rgb()), prompt, engine.check_threshold(params["threshold"]))
    yield Progress(1, 1)
    boxes = engine.to_boxes(result.found)
    return ActionResult(boxes=[OutputBoxes(boxes, layer.size, name=f"Check: {result.score:.2f}")],
                        messages=[result.summary()],
                        data={"score": round(result.score, 4), "prompt": prompt, "items": result.items})


def model_choices(ctx: PluginContext) -> list[tuple[str, str]]:
    """The grounding models the library finds, for the Model drop-down (the built-in one first)."""
    from .library import find_models

    found = [(str(m.path), m.label) for m in find_models(_folders(ctx)) if m.detects]
    return [("", "Built-in (shapes world; faces)"), ("faces", "Faces (MTCNN)"), *found]


MODEL = Param("model", "str", "", MODEL_HELP, label="Model", choices_from=model_choices)


def _common() -> tuple[Param, ...]:
    return (
        MODEL,
        Param("threshold", "float", 0.3, "lowest score of a box (0..1)", minimum=0.0, maximum=1.0, step=0.05),
        Param("max_boxes", "int", 10, "at most this many boxes per query (per frame on a clip)", minimum=1,
              maximum=100),
    )


QUERY = Param("query", "text", "", 'what to find: "the red circle", "faces"; several separated by "."',
              required=True, label="Find")


@hookimpl
def studio_actions() -> list[Action]:
    return [
        Action(id="grounding.find", title="Find objects", run=run_find, c2pa_action="c2pa.edited",
               description="Boxes around what the words name, drawn as an editable overlay layer.",
               params=(QUERY, Param("image", "frame", required=True, help="the picture to look in"), *_common())),
        Action(id="grounding.track", title="Track objects in a clip", run=run_track, c2pa_action="c2pa.edited",
               description="Boxes on every frame of a clip, linked into tracks (one id per object).",
               params=(QUERY, Param("clip", "clip", required=True, help="the clip to follow the objects in"),
                       *_common())),
        Action(id="grounding.ask", title="Ask about a picture", run=run_ask, c2pa_action="c2pa.edited",
               description="A short answer and the box it rests on.",
               params=(Param("question", "text", "", 'e.g. "what colour is the star?"', required=True,
                             label="Question"),
                       Param("image", "frame", required=True, help="the picture to ask about"),
                       MODEL)),
        Action(id="grounding.check", title="Check against the prompt", run=run_check, c2pa_action="c2pa.edited",
               description="Did the picture draw what the prompt asked? Each thing it names is looked for; "
                           "the score is the share found (built-in shapes-world model).",
               params=(Param("image", "frame", required=True, help="the generated picture"),
                       Param("prompt", "text", "", "the prompt (empty: the one recorded with the picture)",
                             label="Prompt"),
                       Param("threshold", "float", 0.3, "lowest score of a box (0..1)", minimum=0.0, maximum=1.0,
                             step=0.05))),
        Action(id="grounding.mask", title="Mask from boxes", run=run_mask, c2pa_action="c2pa.edited",
               description="A mask layer covering the objects in the boxes (for inpainting or an edit).",
               params=(Param("image", "frame", required=True, help="the picture under the boxes"),
                       Param("boxes", "boxes", required=True, help="the boxes"))),
    ]


@hookimpl
def studio_commands() -> list[Command]:
    from . import cli

    return [Command(path=("ground",), help="find what a text query names in a picture or a video (boxes, tracks, "
                    "answers)", configure=cli.configure, run=cli.run)]


@hookimpl
def studio_doctor(ctx: PluginContext) -> dict[str, Any]:
    from .builtin import default_model_dir

    folder = default_model_dir()
    return {"built-in grounding model": str(folder) if (folder / "model.safetensors").exists() else "missing",
            "grounding model folders": [str(p) for p in _folders(ctx)]}


@hookimpl
def studio_settings() -> Any:
    from .settings_page import page

    return page()


@hookimpl
def studio_find_objects(ctx: PluginContext, rgb: np.ndarray, queries: list[str],
                        threshold: float) -> OutputBoxes | None:
    """Boxes for other plugins (forensics asks for "face"): faces from the face detector, shapes-world
    queries from the built-in model."""
    from . import engine
    from .faces import find_objects_answer

    faces = find_objects_answer(ctx.state, ctx.lock, rgb, queries, threshold)
    if faces is not None or not queries:
        return faces
    backend = engine.open_backend(None)
    found = backend.detect(rgb, queries, threshold, engine.MAX_BOXES)
    return OutputBoxes(engine.to_boxes(found), size=(int(rgb.shape[1]), int(rgb.shape[0])), name=backend.name)
