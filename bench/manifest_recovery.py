"""Soft-binding recovery, end to end: export (watermark + sign + store), strip, re-encode, verify.

    python bench/manifest_recovery.py --exports 100 --unmarked 1000

For each of ``--exports`` pictures (varied textures and sizes, and crops of the shared media samples)
it exports a signed, watermarked PNG through the real pipeline (the manifest goes to a fresh local
store), strips it the way platforms do (pixels only: JPEG quality 75; a "screenshot": scaled to 80 %
and saved as PNG) and asks the credentials plugin for the recovered manifest: a recovery counts when
the recovered payload and signer are the export's own. Then ``--unmarked`` pictures that were never
marked are verified against the same store: any recovered manifest is a false match.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media-samples"
SIZES = [(256, 256), (320, 480), (512, 512), (600, 800), (768, 1024)]


def picture(seed: int, size: tuple[int, int], photos: list[np.ndarray]) -> np.ndarray:
    """A varied picture: a crop of a real photo, smooth noise, a flat field with shapes, or fine texture."""
    rng = np.random.default_rng(seed)
    h, w = size
    kind = seed % 4
    if kind == 0 and photos:
        from PIL import Image

        photo = photos[seed % len(photos)]
        scale = max(h / photo.shape[0], w / photo.shape[1]) * rng.uniform(1.0, 1.6)
        big = np.asarray(Image.fromarray(photo).resize((int(photo.shape[1] * scale) + 1,
                                                        int(photo.shape[0] * scale) + 1)))
        y, x = rng.integers(0, big.shape[0] - h + 1), rng.integers(0, big.shape[1] - w + 1)
        return np.ascontiguousarray(big[y:y + h, x:x + w, :3])
    if kind == 1:  # smooth noise fields
        from PIL import Image

        small = rng.integers(0, 256, (max(2, h // 32), max(2, w // 32), 3), dtype=np.uint8)
        return np.asarray(Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC))
    if kind == 2:  # flat colour with a few shapes
        img = np.empty((h, w, 3), np.uint8)
        img[:] = rng.integers(0, 256, 3)
        for _ in range(5):
            y0, x0 = rng.integers(0, h - 20), rng.integers(0, w - 20)
            img[y0:y0 + rng.integers(10, h // 2), x0:x0 + rng.integers(10, w // 2)] = rng.integers(0, 256, 3)
        return img
    grey = rng.normal(128, rng.uniform(10, 60), (h, w))  # fine texture, grey
    return np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def strip(path: Path, dest: Path, how: str) -> Path:
    from PIL import Image

    with Image.open(path) as im:
        img = im.convert("RGB")
    if how == "jpeg75":
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=75)
        dest = dest.with_suffix(".jpg")
    else:  # screenshot: scaled by the display, saved losslessly
        img = img.resize((int(img.width * 0.8), int(img.height * 0.8)), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        dest = dest.with_suffix(".png")
    dest.write_bytes(buf.getvalue())
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exports", type=int, default=40)
    parser.add_argument("--unmarked", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="studio-recovery-"))
    for name in ("CONFIG", "CACHE", "DATA"):
        os.environ[f"STUDIO_{name}_DIR"] = str(work / name.lower())
    import importlib.metadata

    from PIL import Image

    from studio.application import StudioApp
    from studio.document import Record
    from studio_plugins.credentials import trust
    from studio_plugins.credentials.recovery import recover

    eps = [ep for ep in importlib.metadata.entry_points(group="studio") if ep.name in ("credentials", "watermark")]
    app = StudioApp(entry_points=eps)
    ctx = app.host.context("credentials")
    anchors = trust.collect({})
    photos = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(MEDIA.glob("*"))
              if p.suffix.lower() in (".jpg", ".png", ".webp", ".tif")]
    found = {"jpeg75": 0, "screenshot": 0}
    misses: list[dict[str, object]] = []
    started = time.time()
    for i in range(args.exports):
        size = SIZES[i % len(SIZES)]
        record = Record(action="diffusion.generate", title=f"bench-{i}.png", c2pa_action="c2pa.created",
                        plugin="diffusion", params={"prompt": "a bench picture", "seed": i},
                        digital_source="trainedAlgorithmicMedia")
        dest = work / f"export-{i}.png"
        report = app.export.export_image(picture(i, size, photos), dest, record)
        payload = next((p["payload"] for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked"), None)
        for how in found:
            stripped = strip(dest, work / f"stripped-{i}-{how}", how)
            got = recover(stripped, ctx, anchors)["recovered"]
            if got is not None and got["payload"] == payload and got["exported_as"] == dest.name:
                found[how] += 1
            else:
                misses.append({"i": i, "size": size, "kind": i % 4, "attack": how})
            stripped.unlink()
    export_s = time.time() - started
    false = 0
    started = time.time()
    for j in range(args.unmarked):
        size = SIZES[j % len(SIZES)]
        path = work / f"plain-{j}.jpg"
        Image.fromarray(picture(10_000 + j, size, photos)).save(path, "JPEG", quality=90)
        if recover(path, ctx, anchors)["recovered"] is not None:
            false += 1
        path.unlink()
    unmarked_s = time.time() - started
    kinds = ("photo crop", "smooth noise", "flat with shapes", "grey texture")
    print(json.dumps({"exports": args.exports,
                      "recovered": {k: f"{v}/{args.exports}" for k, v in found.items()},
                      "misses": [f"{m['i']}: {m['attack']}, {kinds[int(str(m['kind']))]}, {m['size']}" for m in misses],
                      "unmarked": args.unmarked, "false_matches": false,
                      "seconds": {"exports": round(export_s, 1), "unmarked": round(unmarked_s, 1)}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
