"""Which compute device and dtype to use, and why. torch is imported only when asked."""

from __future__ import annotations

import importlib.util
import platform
import sys
from dataclasses import dataclass
from typing import Any

DEVICES = ("auto", "cuda", "mps", "cpu")


@dataclass(frozen=True)
class DeviceChoice:
    device: str
    dtype: str
    reason: str
    name: str = ""
    memory_total: int | None = None
    memory_free: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Runtime:
    """Chooses CUDA, then Apple MPS, then CPU, unless the user asked for one."""

    def __init__(self, preference: str = "auto") -> None:
        if preference not in DEVICES:
            raise ValueError(f"unknown device {preference!r}; choose one of {', '.join(DEVICES)}")
        self.preference = preference
        self._choice: DeviceChoice | None = None

    @staticmethod
    def torch_available() -> bool:
        return importlib.util.find_spec("torch") is not None

    @staticmethod
    def torch_imported() -> bool:
        return "torch" in sys.modules

    def choice(self) -> DeviceChoice:
        if self._choice is None:
            self._choice = self._choose()
        return self._choice

    def _choose(self) -> DeviceChoice:
        if not self.torch_available():
            return DeviceChoice("cpu", "float32", "torch is not installed; only CPU features work")
        import torch

        cuda = torch.cuda.is_available()
        mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
        wanted = self.preference
        if wanted == "cuda" and not cuda:
            return DeviceChoice("cpu", "float32", "CUDA was requested but is not available; using the CPU")
        if wanted == "mps" and not mps:
            return DeviceChoice("cpu", "float32", "Apple MPS was requested but is not available; using the CPU")
        if wanted in ("auto", "cuda") and cuda:
            index = torch.cuda.current_device()
            free, total = torch.cuda.mem_get_info(index)
            dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
            why = "requested in settings" if wanted == "cuda" else "a CUDA GPU is available"
            return DeviceChoice(
                f"cuda:{index}", dtype, why, torch.cuda.get_device_name(index), int(total), int(free)
            )
        if wanted in ("auto", "mps") and mps:
            why = "requested in settings" if wanted == "mps" else "Apple MPS is available (no CUDA GPU)"
            return DeviceChoice("mps", "float16", why, platform.machine())
        why = "requested in settings" if wanted == "cpu" else "no CUDA GPU or Apple MPS found"
        return DeviceChoice("cpu", "float32", why, platform.processor() or platform.machine())

    def available(self) -> dict[str, str]:
        """Each device this machine offers, with its name (what ``studio doctor`` reports); imports torch.

        The CPU is always there; ``cuda`` and ``mps`` only when torch can use them.
        """
        found: dict[str, str] = {}
        if self.torch_available():
            import torch

            if torch.cuda.is_available():
                found["cuda"] = torch.cuda.get_device_name(torch.cuda.current_device())
            if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
                found["mps"] = platform.machine() or "Apple GPU"
        found["cpu"] = platform.processor() or platform.machine() or "CPU"
        return found

    def torch_build(self) -> dict[str, Any]:
        if not self.torch_available():
            return {"installed": False}
        import torch

        return {
            "installed": True,
            "version": torch.__version__,
            "cuda": torch.version.cuda,
            "hip": getattr(torch.version, "hip", None),
            "mps_built": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_built()),
            "threads": torch.get_num_threads(),
        }
