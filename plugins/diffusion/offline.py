"""Keep the hub libraries offline: a missing file must be an error, never a download."""

from __future__ import annotations

import logging
import os
from typing import Any

OFFLINE_VARIABLES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "DIFFUSERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "DISABLE_TELEMETRY": "1",
}


def go_offline() -> None:
    """Set the offline switches before diffusers/transformers/huggingface_hub are used.

    huggingface_hub reads ``HF_HUB_OFFLINE`` when it is first imported, so the
    constant is also set on an already imported module. Library chatter
    (progress bars, info logs) is turned down: Studio reports progress itself.
    """
    for key, value in OFFLINE_VARIABLES.items():
        os.environ[key] = value
    import sys

    constants: Any = sys.modules.get("huggingface_hub.constants")  # set only if already imported
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
    for name in ("diffusers", "transformers", "huggingface_hub", "accelerate", "peft"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        diffusers_logging.set_verbosity_error()
        diffusers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - both are dependencies
        pass
