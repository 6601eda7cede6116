"""Studio's icon, drawn with Pillow at build time (no binary file in the repository).

    python packaging/icon.py OUT_DIR     # writes studio.png (256 px), studio.ico and studio.icns

Three shapes of the built-in model's world (a red circle, a green triangle, a blue square) on a dark tile.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 1024


def draw(size: int = SIZE) -> Image.Image:
    s = size / 64  # drawn on a 64-unit grid
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    d.rounded_rectangle((2 * s, 2 * s, 62 * s, 62 * s), radius=12 * s, fill=(28, 30, 36, 255))
    d.ellipse((10 * s, 10 * s, 34 * s, 34 * s), fill=(226, 62, 54, 255))
    d.polygon([(44 * s, 10 * s), (56 * s, 32 * s), (32 * s, 32 * s)], fill=(64, 186, 92, 255))
    d.rectangle((24 * s, 38 * s, 46 * s, 56 * s), fill=(58, 112, 222, 255))
    return image


def write(out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    big = draw()
    paths = {"png": out_dir / "studio.png", "ico": out_dir / "studio.ico", "icns": out_dir / "studio.icns"}
    big.resize((256, 256), Image.Resampling.LANCZOS).save(paths["png"])
    big.save(paths["ico"], sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    big.save(paths["icns"])
    return paths


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "build/icons")).values():
        print(path)
