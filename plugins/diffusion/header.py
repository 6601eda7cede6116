"""Safetensors headers and weights-only pickles: the core's :mod:`studio.weights`, under this plugin's old names."""

from __future__ import annotations

from studio.api import (
    PICKLE_SUFFIXES,
    SafetensorsHeader,
    TensorInfo,
    header_from_state_dict,
    load_pickle_state_dict,
)
from studio.api import read_safetensors_header as read_header

__all__ = ["PICKLE_SUFFIXES", "SafetensorsHeader", "TensorInfo", "header_from_state_dict", "load_pickle_state_dict",
           "read_header"]
