"""Model weight files without running them: a ``.safetensors`` header read by hand, pickles weights-only.

Generic to every plugin that loads weights (the diffusion engine, motion modules); plugins reach it through
:mod:`studio.api` (``read_safetensors_header``, ``SafetensorsHeader``, ``load_pickle_state_dict``...).

Reading a ``.safetensors`` file's header ourselves: tensor names, dtypes and shapes.

The format is an 8-byte little-endian header length, a JSON header, then the
raw tensor bytes. Reading only the header is enough to tell what kind of model
a file holds and whether it is whole, without loading gigabytes of weights.
Every problem becomes a :class:`BadInputError` that names the file and says
what is wrong.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

from studio.errors import BadInputError

MAX_HEADER = 100 * 1024 * 1024  # the safetensors library's own limit
DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "F4": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


@dataclass
class SafetensorsHeader:
    """What a safetensors header says: tensors by name and the free-form metadata."""

    path: Path
    tensors: dict[str, TensorInfo]
    metadata: dict[str, str] = field(default_factory=dict)
    file_size: int = 0

    def shape(self, name: str) -> tuple[int, ...] | None:
        info = self.tensors.get(name)
        return info.shape if info else None

    def has(self, name: str) -> bool:
        return name in self.tensors

    def has_prefix(self, prefix: str) -> bool:
        return any(k.startswith(prefix) for k in self.tensors)

    def count(self, prefix: str) -> int:
        return sum(1 for k in self.tensors if k.startswith(prefix))

    def dtypes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for info in self.tensors.values():
            counts[info.dtype] = counts.get(info.dtype, 0) + 1
        return counts

    def parameters(self) -> int:
        return sum(math.prod(info.shape) for info in self.tensors.values())

    def prefixes(self, depth: int = 2, limit: int = 6) -> list[str]:
        """The most common key prefixes (``depth`` dotted parts), for messages about unknown files."""
        counts: dict[str, int] = {}
        for key in self.tensors:
            prefix = ".".join(key.split(".")[:depth])
            counts[prefix] = counts.get(prefix, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [f"{p} ({n})" for p, n in ranked[:limit]]


def read_header(path: str | Path) -> SafetensorsHeader:
    """Parse and check the header of ``path``; raise BadInputError naming the file and the fault."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if size == 0:
                raise BadInputError(f"{name} is empty (0 bytes).")
            if len(head) < 8:
                raise BadInputError(f"{name} is too short to be a safetensors file ({size} bytes).")
            (length,) = struct.unpack("<Q", head)
            if length > MAX_HEADER:
                raise BadInputError(f"{name} is not a safetensors file: its first 8 bytes give a header length "
                                    f"of {length} bytes.")
            if length > size - 8:
                raise BadInputError(f"{name} is truncated: its header alone needs {length + 8} bytes but the "
                                    f"file has {size}.")
            raw = fh.read(length)
    except FileNotFoundError:
        raise BadInputError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise BadInputError(f"{path} is a folder, not a safetensors file.") from None
    except OSError as exc:
        raise BadInputError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInputError(f"{name} is corrupt: its safetensors header is not valid JSON ({exc}).") from None
    if not isinstance(header, dict):
        raise BadInputError(f"{name} is corrupt: its safetensors header is not a JSON object.")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise BadInputError(f"{name} is corrupt: its __metadata__ is not a JSON object.")
    available = size - 8 - length
    tensors: dict[str, TensorInfo] = {}
    furthest = 0
    for key, entry in header.items():
        try:
            dtype = str(entry["dtype"])
            shape = tuple(int(s) for s in entry["shape"])
            start, end = (int(o) for o in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise BadInputError(f"{name} is corrupt: the entry for tensor '{key}' is malformed.") from None
        if dtype not in DTYPE_SIZES:
            raise BadInputError(f"{name} is corrupt: tensor '{key}' has an unknown dtype '{dtype}'.")
        if any(s < 0 for s in shape) or start < 0 or end < start:
            raise BadInputError(f"{name} is corrupt: tensor '{key}' has an impossible shape or offsets.")
        if dtype != "F4" and end - start != math.prod(shape) * DTYPE_SIZES[dtype]:
            raise BadInputError(
                f"{name} is corrupt: tensor '{key}' ({dtype} {list(shape)}) should take "
                f"{math.prod(shape) * DTYPE_SIZES[dtype]} bytes but its offsets span {end - start}."
            )
        furthest = max(furthest, end)
        tensors[key] = TensorInfo(dtype, shape, start, end)
    if furthest > available:
        missing = furthest - available
        raise BadInputError(
            f"{name} is truncated: its tensors need {furthest} bytes of data but the file holds {available} "
            f"({missing} bytes missing). Download or copy it again."
        )
    if not tensors:
        raise BadInputError(f"{name} holds no tensors.")
    return SafetensorsHeader(path=path, tensors=tensors, metadata={str(k): str(v) for k, v in metadata.items()},
                             file_size=size)


def header_from_state_dict(path: Path, state: dict) -> SafetensorsHeader:
    """A header-like summary of an already loaded state dict (for weights-only pickle files)."""
    tensors: dict[str, TensorInfo] = {}
    for key, value in state.items():
        shape = getattr(value, "shape", None)
        if shape is None:
            continue
        dtype = str(getattr(value, "dtype", "F32")).replace("torch.", "").upper()
        tensors[str(key)] = TensorInfo(dtype, tuple(int(s) for s in shape), 0, 0)
    if not tensors:
        raise BadInputError(f"{path.name} holds no tensors.")
    return SafetensorsHeader(path=path, tensors=tensors, file_size=path.stat().st_size)


def load_pickle_state_dict(path: Path) -> dict:
    """Load a ``.ckpt``/``.pt``/``.bin`` with ``torch.load(weights_only=True)``: never full unpickling."""
    import pickle

    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInputError(
            f"{path.name} cannot be loaded as weights only: {first[:200]}.",
            "Convert it to .safetensors with a tool you trust, or use a .safetensors version of the model.",
        ) from None
    while isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise BadInputError(f"{path.name} does not hold a state dict of tensors.")
    return state
