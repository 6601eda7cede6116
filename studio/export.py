"""The export pipeline: every output goes through here, a still picture or a clip.

1. ``pixels`` steps change the image (a watermark), by ascending ``order``; for a clip they wrap
   ``job.frames`` (a lazy stream of frames) so that every frame is changed as it is encoded;
2. the core encodes the image (PNG, JPEG, WebP, TIFF) or the clip (MP4, WebM, animated GIF; a PNG
   sequence is one still export per frame) into a temporary file beside the destination, with the
   record in the metadata;
3. ``file`` steps change the encoded file, by ascending ``order``; at most one
   step is ``final`` and runs last (signing: nothing may write after it);
4. the temporary file replaces the destination atomically.

A failing step or a cancel leaves the destination untouched.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio import formats
from studio.atomic import atomic_path
from studio.document.provenance import Record
from studio.errors import BadInputError, Cancelled, StudioError

if TYPE_CHECKING:
    from studio.media import AudioSegment, ClipInput
    from studio.plugincontext import PluginContext
    from studio.pluginhost import PluginHost

ALL_FORMATS = tuple(f.name for f in formats.FORMATS if f.writable)


class ExportError(StudioError):
    """An export that did not happen; nothing was written."""


@dataclass
class ExportJob:
    """The export in progress, as each step sees it.

    ``pixels`` (RGBA or RGB uint8) is what will be encoded; ``file`` is the
    encoded temporary file during the file stage; ``performed`` lists what each
    step did (``{"step": ..., "c2pa_action": "c2pa.watermarked", ...}``);
    ``notices`` are told to the user; ``options`` switch steps on and off.
    ``source`` is the original file when an existing file is exported as is.

    For a clip ``pixels`` is None and ``frames`` is the stream of RGB frames (H×W×3 uint8) to encode,
    ``frame_count`` of them at ``fps``, each ``size`` (width, height); a pixel step replaces
    ``frames`` with a lazy stream of changed frames. ``audio`` is the sound to keep.
    """

    pixels: np.ndarray | None
    dest: Path
    format: str
    record: Record
    options: dict[str, Any] = field(default_factory=dict)
    file: Path | None = None
    source: Path | None = None
    performed: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    text_metadata: dict[str, str] = field(default_factory=dict)
    frames: Iterable[np.ndarray] | None = None
    fps: float = 0.0
    frame_count: int = 0
    size: tuple[int, int] = (0, 0)
    audio: list[AudioSegment] = field(default_factory=list)

    @property
    def mime(self) -> str:
        fmt = formats.BY_NAME.get(self.format)
        return fmt.mime if fmt else "application/octet-stream"

    @property
    def is_clip(self) -> bool:
        return self.pixels is None and self.source is None

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


@dataclass(frozen=True)
class ExportStep:
    """A plugin's part in every export. See :func:`studio.hookspecs.studio_export_steps`.

    ``run(job, ctx)`` gets the export job and the step's plugin's context.
    """

    name: str
    run: Callable[[ExportJob, PluginContext], None]
    stage: Literal["pixels", "file"] = "file"
    order: int = 100
    final: bool = False
    option: str | None = None
    default: bool = True
    off_notice: str = ""
    formats: tuple[str, ...] = formats.STILL_FORMATS
    unsupported_notice: str = ""  # told when the format is not in ``formats``; ``{format}`` names it
    plugin: str = ""

    def enabled(self, job: ExportJob) -> bool:
        if self.option is None:
            return True
        return bool(job.options.get(self.option, self.default))


@dataclass
class ExportReport:
    path: Path
    format: str
    steps: list[str]
    performed: list[dict[str, Any]]
    notices: list[str]
    frames: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "frames": self.frames,
            "steps": self.steps,
            "performed": self.performed,
            "notices": self.notices,
        }


def export_options(args: Any, app: Any) -> dict[str, Any]:
    """Export options: the settings' defaults, overridden by ``--<option>/--no-<option>`` CLI flags."""
    options = dict(app.settings.export)
    for key, value in vars(args).items():
        if key.startswith("export_") and value is not None:
            options[key[len("export_"):]] = value
    return options


def format_for(path: Path, explicit: str | None = None) -> str:
    """The still-picture format to export ``path`` as (see :func:`studio.formats.export_format`)."""
    return formats.export_format(path, explicit, "image").name


def collect_steps(host: PluginHost) -> list[ExportStep]:
    steps: list[ExportStep] = []
    for plugin, result in host.call("studio_export_steps"):
        for step in result or []:
            if isinstance(step, ExportStep):
                steps.append(ExportStep(**{**vars(step), "plugin": plugin}))
            else:
                host.record_fault(plugin, f"studio_export_steps returned {type(step).__name__}, not ExportStep")
    return steps


def order_steps(steps: list[ExportStep]) -> tuple[list[ExportStep], list[ExportStep]]:
    """Split into (pixel steps, file steps), each sorted, with the final step last."""
    finals = [s for s in steps if s.final]
    if len(finals) > 1:
        names = ", ".join(f"'{s.name}' ({s.plugin})" for s in finals)
        raise ExportError(
            f"Two export steps both claim to be the last write: {names}.",
            "Disable one of those plugins.",
        )
    if any(s.final and s.stage != "file" for s in steps):
        raise ExportError("A final export step must work on the encoded file (stage 'file').")
    pixel_steps = sorted((s for s in steps if s.stage == "pixels"), key=lambda s: s.order)
    file_steps = sorted((s for s in steps if s.stage == "file"), key=lambda s: (s.final, s.order))
    return pixel_steps, file_steps


def encode(pixels: np.ndarray, path: Path, fmt: str, record: Record, extra_text: dict[str, str],
           quality: int = 95) -> None:
    """Write ``pixels`` to ``path`` as ``fmt`` with the record in the metadata where the format allows."""
    from PIL import Image, PngImagePlugin

    arr = np.ascontiguousarray(pixels)
    if arr.ndim == 3 and arr.shape[2] == 4 and (fmt == "JPEG" or bool((arr[..., 3] == 255).all())):
        arr = np.ascontiguousarray(arr[..., :3])
    image = Image.fromarray(arr)
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        if record.parameters_text:
            info.add_text("parameters", record.parameters_text)
        info.add_itxt("studio", json.dumps(record.to_dict(), separators=(",", ":")))
        for key, value in extra_text.items():
            info.add_itxt(key, value)
        image.save(path, format="PNG", pnginfo=info, compress_level=6)
    elif fmt == "JPEG":
        image.save(path, format="JPEG", quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        image.save(path, format="WEBP", quality=quality, method=4)
    elif fmt == "TIFF":
        image.save(path, format="TIFF", compression="tiff_lzw")
    else:  # pragma: no cover - format_for guards this
        raise BadInputError(f"unsupported format {fmt}")


class ExportPipeline:
    """Runs the plugins' export steps around the core's encoder."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host

    def steps(self) -> list[ExportStep]:
        pixel_steps, file_steps = order_steps(collect_steps(self.host))
        return pixel_steps + file_steps

    def export_image(
        self,
        pixels: np.ndarray,
        dest: str | Path,
        record: Record,
        options: dict[str, Any] | None = None,
        fmt: str | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportReport:
        """Encode ``pixels`` to ``dest`` through every export step, atomically."""
        dest = Path(dest)
        job = ExportJob(pixels=pixels, dest=dest, format=format_for(dest, fmt), record=record,
                        options=dict(options or {}))
        return self._run(job, cancel)

    def export_file(
        self,
        source: str | Path,
        dest: str | Path,
        record: Record,
        options: dict[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportReport:
        """Pass an existing file through the file-stage steps (pixels untouched), atomically.

        Used to sign a file as it is: pixel steps are skipped and the file is not re-encoded.
        """
        source, dest = Path(source), Path(dest)
        if not source.is_file():
            raise BadInputError(f"{source} does not exist or is not a file.")
        known = formats.of_path(source)
        fmt = known.name if known else source.suffix.lstrip(".").upper()
        if dest.suffix.lower() != source.suffix.lower():
            raise BadInputError(
                f"The output '{dest.name}' must keep the input's extension '{source.suffix}'."
            )
        job = ExportJob(pixels=None, dest=dest, format=fmt, record=record, options=dict(options or {}),
                        source=source)
        return self._run(job, cancel)

    def export_clip(
        self,
        clip: ClipInput,
        dest: str | Path,
        options: dict[str, Any] | None = None,
        fmt: str | None = None,
        cancel: threading.Event | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> ExportReport:
        """Encode ``clip``'s frames to ``dest`` (MP4, WebM, GIF or a PNG-sequence folder) through every step.

        Frames stream from the source through the pixel steps (the watermark marks each) into the
        encoder; the file steps (signing) follow; the file appears atomically at the end. ``progress``
        gets (frames done, frames in all, message).
        """
        dest = Path(dest)
        media_format = formats.export_format(dest, fmt, "clip")
        if clip.count <= 0:
            raise BadInputError("The clip has no frames to export.")
        record = clip.record or Record(action="export", title=clip.name)
        if media_format.name == "PNGSEQ":
            return self._export_sequence(clip, dest, record, dict(options or {}), cancel, progress)
        job = ExportJob(pixels=None, dest=dest, format=media_format.name, record=record,
                        options=dict(options or {}), frames=clip.frames(), fps=clip.fps, frame_count=clip.count,
                        size=clip.size, audio=list(clip.audio) if media_format.audio else [])
        if clip.audio and not media_format.audio:
            job.notices.append(f"{media_format.label} carries no sound; the clip's sound is left out.")
        if (clip.size[0] % 2 or clip.size[1] % 2) and media_format.name not in ("GIF", "PNGSEQ"):
            job.notices.append(f"The picture is {clip.size[0]}×{clip.size[1]}; video needs even sides, so the "
                               "last row or column was left out.")
        return self._run(job, cancel, progress)

    def _export_sequence(self, clip: ClipInput, dest: Path, record: Record, options: dict[str, Any],
                         cancel: threading.Event | None,
                         progress: Callable[[int, int, str], None] | None) -> ExportReport:
        """A folder of numbered PNG files, each exported (marked, signed) like a still; atomic as a whole."""
        from studio.atomic import atomic_dir

        reports: list[ExportReport] = []
        digits = max(4, len(str(clip.count)))
        with atomic_dir(dest) as folder:
            for n, pixels in enumerate(clip.frames()):
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                frame_record = Record(**{**vars(record), "params": {**record.params, "frame": n}})
                reports.append(self.export_image(pixels, folder / f"frame_{n:0{digits}d}.png", frame_record,
                                                 options, "PNG", cancel))
                if progress is not None:
                    progress(n + 1, clip.count, "Exporting frames")
        if not reports:
            raise BadInputError("The clip has no frames to export.")
        notices = list(dict.fromkeys(n for r in reports for n in r.notices))
        return ExportReport(dest, "PNGSEQ", reports[0].steps, reports[0].performed, notices, frames=len(reports))

    def _run(self, job: ExportJob, cancel: threading.Event | None,
             progress: Callable[[int, int, str], None] | None = None) -> ExportReport:
        pixel_steps, file_steps = order_steps(collect_steps(self.host))
        ran: list[str] = []

        def check() -> None:
            if cancel is not None and cancel.is_set():
                raise Cancelled()

        def run_step(step: ExportStep) -> None:
            check()
            if not step.enabled(job):
                if step.off_notice:
                    job.notices.append(step.off_notice)
                return
            if job.format not in step.formats:
                label = formats.BY_NAME[job.format].label if job.format in formats.BY_NAME else job.format
                job.notices.append(step.unsupported_notice.format(format=label) if step.unsupported_notice
                                   else f"{step.name}: not available for {label} files; skipped.")
                return
            try:
                step.run(job, self.host.context(step.plugin))
            except (Cancelled, StudioError):
                raise
            except Exception as exc:  # noqa: BLE001
                self.host.record_fault(step.plugin, f"export step '{step.name}' raised {type(exc).__name__}: {exc}")
                raise ExportError(
                    f"Export failed in step '{step.name}' (plugin '{step.plugin}'): {exc}.",
                    "Nothing was written.",
                ) from exc
            ran.append(step.name)

        if job.source is None:
            for step in pixel_steps:
                run_step(step)
        with atomic_path(job.dest) as tmp:
            check()
            if job.source is not None:
                shutil.copyfile(job.source, tmp)
            elif job.frames is not None:
                self._encode_clip(job, tmp, check, progress)
            else:
                assert job.pixels is not None
                try:
                    encode(job.pixels, tmp, job.format, job.record, job.text_metadata,
                           int(job.options.get("quality", 95)))
                except OSError as exc:
                    raise ExportError(f"Could not write {job.dest.name}: {exc}.") from exc
            job.file = tmp
            for step in file_steps:
                if progress is not None and job.frames is not None and step.enabled(job):
                    progress(job.frame_count, job.frame_count, step.name)
                run_step(step)
            check()
        return ExportReport(job.dest, job.format, ran, job.performed, job.notices,
                            frames=job.frame_count if job.frames is not None else 1)

    @staticmethod
    def _encode_clip(job: ExportJob, tmp: Path, check: Callable[[], None],
                     progress: Callable[[int, int, str], None] | None) -> None:
        import av

        from studio.media import encode_video

        def on_frame(n: int) -> None:
            check()
            if progress is not None:
                progress(n, job.frame_count, "Encoding")

        assert job.frames is not None
        frames = job.frames
        try:
            encode_video(frames, tmp, job.format, job.fps, job.size, job.record, job.audio, job.frame_count,
                         on_frame)
        except (OSError, av.error.FFmpegError) as exc:
            raise ExportError(f"Could not write {job.dest.name}: {exc}.") from exc
        finally:
            close = getattr(frames, "close", None)
            if close is not None:  # stop the source's decoder and any step's worker thread
                close()
