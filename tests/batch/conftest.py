"""Small media folders for the batch tests, and a way to run ``studio`` as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CRASH_PLUGIN = Path(__file__).resolve().parents[1] / "fixture_plugins" / "batchcrash"


def picture(seed: int, side: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side]
    base = np.dstack([x * 255 // side, y * 255 // side, np.full_like(x, (seed * 37) % 256)]).astype(np.uint8)
    noise = rng.integers(0, 24, base.shape, dtype=np.uint8)
    return base // 2 + noise


@pytest.fixture
def make_media():
    """``make_media(folder, n, prefix="img")``: n small pictures (PNG and JPEG, alternately), sorted names."""

    def make(folder: Path, n: int, prefix: str = "img", side: int = 64) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(n):
            suffix = ".png" if i % 2 == 0 else ".jpg"
            path = folder / f"{prefix}-{i:03d}{suffix}"
            Image.fromarray(picture(i + sum(map(ord, prefix)), side)).save(path)
            paths.append(path)
        return paths

    return make


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        from studio.batch.results import decode_parquet_row

        return [decode_parquet_row(r) for r in pq.read_table(path).to_pylist()]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def studio(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)
