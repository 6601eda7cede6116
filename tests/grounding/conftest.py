"""Tiny random-weight grounding models (OWLv2, OWL-ViT, Grounding DINO, Florence-2), built once per session,
and a guard that fails any test reaching for the network or the Hugging Face hub."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

BUILDERS = {
    "owlv2": ("tiny_owl", {"version": 2}),
    "owlvit": ("tiny_owl", {"version": 1}),
    "grounding-dino": ("tiny_grounding_dino", {}),
    "florence2": ("tiny_florence2", {}),
}


@pytest.fixture(scope="session")
def grounding_models(tmp_path_factory) -> dict[str, Path]:
    """kind → folder of a tiny random model of that kind (safetensors, processor and tokenizer included)."""
    from studio_plugins.grounding import hf_testing

    base = tmp_path_factory.mktemp("grounding-models")
    folders: dict[str, Path] = {}
    for kind, (builder, options) in BUILDERS.items():
        folders[kind] = getattr(hf_testing, builder)(base / kind, **options)
    return folders


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every grounding test runs offline: a socket connection or a hub download fails the test and is recorded."""
    import huggingface_hub
    import huggingface_hub.file_download
    import transformers.utils.hub

    calls: list[str] = []
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(name):
        def call(*args, **kwargs):
            calls.append(f"{name}{args}")
            raise AssertionError(f"network use in a grounding test: {name}{args}")
        return call

    for module in (huggingface_hub, huggingface_hub.file_download, transformers.utils.hub):
        for name in ("hf_hub_download", "snapshot_download", "get_hf_file_metadata", "model_info"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse(name))
    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    yield calls
    assert calls == [], calls


@pytest.fixture
def config_folder():
    """Write a folder holding one JSON file (``config.json`` unless named): a model folder as far as a scan sees."""

    def write(folder: Path, config: dict, name: str = "config.json") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(config), encoding="utf-8")
        return folder

    return write
