"""Convert MTCNN's weights from the ``mtcnn`` wheel (joblib pickles) to safetensors in assets/.

Run once by a developer (``pip install mtcnn joblib`` first); Studio itself then reads only the
safetensors files — it never unpickles a model file.

    .venv/bin/python training/faces/convert_mtcnn.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> None:
    import importlib.util

    import joblib  # developer tool only: the wheel's weights are joblib pickles
    from safetensors.numpy import save_file

    from plugins.grounding.mtcnn_torch import _to_torch_layout

    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install mtcnn first")
    src = Path(list(spec.submodule_search_locations)[0]) / "assets" / "weights"
    out = REPO / "assets" / "models" / "mtcnn"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("pnet", "rnet", "onet"):
        arrays = joblib.load(src / f"{name}.lz4")
        tensors = {str(i): np.ascontiguousarray(_to_torch_layout(a)).astype(np.float32) for i, a in enumerate(arrays)}
        save_file(tensors, str(out / f"{name}.safetensors"), metadata={"source": "mtcnn 1.0.0 wheel (MIT)"})
        print(f"{name}: {len(arrays)} tensors")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
