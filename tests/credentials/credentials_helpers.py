"""Helpers for the Content Credentials tests: a CLI runner, records, signing identities."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import C2PA_SAMPLES

from studio.document import Record

TEST_ROOTS = C2PA_SAMPLES / "test_cert_root_bundle.pem"


def studio(*args, env=None):
    """Run the real CLI; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)


def studio_json(*args):
    result = studio(*args, "--json")
    assert result.stdout, result.stderr
    return result, json.loads(result.stdout)


def generated_record(title="generated.png", model=True) -> Record:
    """The record a text-to-image action would attach (made by hand: no model needed)."""
    return Record(action="diffusion.generate", title=title, c2pa_action="c2pa.created", plugin="diffusion",
                  plugin_version="0.1.0", params={"prompt": "a red square", "seed": 7, "steps": 4},
                  digital_source="trainedAlgorithmicMedia",
                  model={"name": "tiny-shapes", "sha256": "ab" * 32} if model else None)




def check(path, *anchor_files, own_root=True) -> dict:
    """Verify ``path`` as the CLI would, with the given PEM files as extra trust anchors."""
    from studio_plugins.credentials import trust
    from studio_plugins.credentials.verify import verify

    anchors = trust.collect({"trust_own_root": own_root}, extra=[str(a) for a in anchor_files])
    return verify(path, anchors)


def write_pem_identity(folder: Path, name="Alice", **validity) -> tuple[Path, Path, Path]:
    """A fresh root + signing certificate as PEM files outside Studio: (chain incl. root, key, root)."""
    from studio_plugins.credentials.certs import generate_identity

    made = generate_identity(name, f"{name}'s newsroom", **validity)
    folder.mkdir(parents=True, exist_ok=True)
    chain, key, root = folder / f"{name}-chain.pem", folder / f"{name}-key.pem", folder / f"{name}-root.pem"
    chain.write_bytes(made.chain_pem + made.root_pem)
    key.write_bytes(made.key_pem)
    root.write_bytes(made.root_pem)
    return chain, key, root


def manifest_store(path) -> dict:
    """The raw manifest store as c2pa-python reads it (no trust anchors)."""
    import c2pa

    with c2pa.Reader(str(path)) as reader:
        return json.loads(reader.json())


def active(store: dict) -> dict:
    return store["manifests"][store["active_manifest"]]


def actions(manifest: dict) -> list[dict]:
    return [a for x in manifest["assertions"] if x["label"].startswith("c2pa.actions") for a in x["data"]["actions"]]
