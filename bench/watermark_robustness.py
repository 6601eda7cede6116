"""Robustness, calibration and speed of Studio's invisible watermark, beside invisible-watermark's.

    .venv/bin/python bench/watermark_robustness.py            # the full run (about 10 minutes here)
    .venv/bin/python bench/watermark_robustness.py --quick    # 3 images, no RivaGAN timing at 1024²

For every attack, on the same natural images, in the same run: bit accuracy
and detection rate at a false-positive rate of 1e-6 for

- Studio's mark (64-bit payload; detection: its own p-value ≤ 1e-6);
- invisible-watermark's ``dwtDctSvd`` (64 bits) and ``rivaGan`` (32 bits, ONNX
  weights from the wheel): their own decoders' bits, detection when the
  number of correct bits passes a binomial threshold at 1e-6 (≥ 52/64, ≥ 30/32).

Then the same attacks on a larger set for Studio alone, the calibration of
Studio's p-value on unmarked images (z-score tails and p-value shares
against the normal model), the baselines' false-positive rate on unmarked
images, and embed/detect times on a 1024×1024 image.

Needs ``invisible-watermark`` (``.venv/bin/pip install --no-deps invisible-watermark``;
onnxruntime, PyWavelets and OpenCV are already installed).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from scipy.stats import binom, norm
from skimage.metrics import structural_similarity

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media-samples"
sys.path.insert(0, str(ROOT / "plugins"))

from studio_plugins.watermark import api, detect, embed  # noqa: E402
from studio_plugins.watermark.keys import studio_default_key  # noqa: E402
from studio_plugins.watermark.pattern import patterns_for  # noqa: E402

PAYLOAD = bytes.fromhex("5f3a9c0e71d2b846")
BITS64 = np.unpackbits(np.frombuffer(PAYLOAD, np.uint8)).astype(np.uint8)
BITS32 = BITS64[:32]
FPR = 1e-6


def binomial_threshold(n: int, fpr: float = FPR) -> int:
    """Smallest k with P(Binomial(n, 1/2) >= k) <= fpr."""
    return next(k for k in range(n + 1) if binom.sf(k - 1, n, 0.5) <= fpr)


# -- attacks -----------------------------------------------------------------------------------

def _encode(rgb: np.ndarray, fmt: str, **kw) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, fmt, **kw)
    with Image.open(buffer) as im:
        return np.asarray(im.convert("RGB"))


def _resize(rgb: np.ndarray, f: float, interp: int = cv2.INTER_AREA) -> np.ndarray:
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=interp)


def _crop(rgb: np.ndarray, f: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    dy, dx = round(h * f / 2), round(w * f / 2)
    return np.ascontiguousarray(rgb[dy:h - dy, dx:w - dx])


def _rotate(rgb: np.ndarray, deg: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    return cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _rotate_crop(rgb: np.ndarray, deg: float) -> np.ndarray:
    """Turned by ``deg`` and cut to the picture's own proportions inside the turned frame, as photo editors'
    straighten tools do (no invented borders)."""
    h, w = rgb.shape[:2]
    turned = _rotate(rgb, deg)
    t = np.deg2rad(abs(deg))
    s = 1.0 / (np.cos(t) + np.sin(t) * max(w / h, h / w))
    ch, cw = int(h * s), int(w * s)
    y, x = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(turned[y:y + ch, x:x + cw])


def _flip(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, ::-1])


def _levels(rgb: np.ndarray, gain: float, contrast: bool) -> np.ndarray:
    x = rgb.astype(np.float32)
    x = (x - x.mean()) * gain + x.mean() if contrast else x * gain
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _noise(rgb: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.clip(np.rint(rgb + rng.normal(0, 5, rgb.shape)), 0, 255).astype(np.uint8)


ATTACKS = {
    "none": lambda a: a,
    "JPEG 90": lambda a: _encode(a, "JPEG", quality=90),
    "JPEG 75": lambda a: _encode(a, "JPEG", quality=75),
    "JPEG 50": lambda a: _encode(a, "JPEG", quality=50),
    "WebP 80": lambda a: _encode(a, "WEBP", quality=80),
    "resize x0.5": lambda a: _resize(a, 0.5),
    "resize x0.75": lambda a: _resize(a, 0.75),
    "crop 10%": lambda a: _crop(a, 0.10),
    "crop 25%": lambda a: _crop(a, 0.25),
    "rotate +2°": lambda a: _rotate(a, 2.0),
    "rotate -2°": lambda a: _rotate(a, -2.0),
    "flip": _flip,
    "crop 10% + flip": lambda a: _flip(_crop(a, 0.10)),
    "rotate +10° (cut)": lambda a: _rotate_crop(a, 10.0),
    "rotate -15° (cut)": lambda a: _rotate_crop(a, -15.0),
    "crop 20% + rotate +8°": lambda a: _rotate_crop(_crop(a, 0.20), 8.0),
    "crop 10% + flip + rotate -30°": lambda a: _rotate_crop(_flip(_crop(a, 0.10)), -30.0),
    "bright +20%": lambda a: _levels(a, 1.2, False),
    "bright -20%": lambda a: _levels(a, 0.8, False),
    "contrast +20%": lambda a: _levels(a, 1.2, True),
    "contrast -20%": lambda a: _levels(a, 0.8, True),
    "noise σ=5": _noise,
    "blur σ=1": lambda a: cv2.GaussianBlur(a, (0, 0), 1.0),
    "screenshot": lambda a: _encode(_resize(a, 0.6, cv2.INTER_LINEAR), "JPEG", quality=70),
}
ATTACK_NOTES = ("crop N%: N% of each side's length removed, centred; rotate: same size, reflected borders; "
                "rotate (cut): turned, then cut to the original proportions inside the turned frame; "
                "flip: left-right mirror; "
                "screenshot: ×0.6 bilinear then JPEG 70; H.264: libx264 CRF 28, 720×1280 frames of legacy.mp4")


# -- the three marks ---------------------------------------------------------------------------

class Studio:
    name = "Studio"

    def embed(self, rgb: np.ndarray) -> np.ndarray:
        return api.embed_image(rgb, PAYLOAD).pixels

    def decode(self, rgb: np.ndarray) -> tuple[float, bool]:
        check = api.check_image(rgb, keys=[studio_default_key()], with_sdxl=False)
        d = check.detection
        if d is None or d.payload is None:
            return 0.5, False
        bits = np.unpackbits(np.frombuffer(d.payload, np.uint8))
        return float(np.mean(bits == BITS64)), d.present


class DwtDctSvd:
    name = "dwtDctSvd"

    def __init__(self) -> None:
        from imwatermark.dwtDctSvd import EmbedDwtDctSvd

        self.cls = EmbedDwtDctSvd
        self.k = binomial_threshold(64)

    def embed(self, rgb: np.ndarray) -> np.ndarray:
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        return np.ascontiguousarray(self.cls(BITS64.tolist(), wmLen=64).encode(bgr)[..., ::-1])

    def decode(self, rgb: np.ndarray) -> tuple[float, bool]:
        # the decoder itself, without the wrapper's refusal of images under 256×256
        bits = np.asarray(self.cls([], wmLen=64).decode(np.ascontiguousarray(rgb[..., ::-1])), np.uint8)
        matched = int((bits == BITS64).sum())
        return matched / 64, matched >= self.k


class RivaGan:
    name = "RivaGAN"

    def __init__(self) -> None:
        from imwatermark.rivaGan import RivaWatermark

        RivaWatermark.loadModel()
        self.cls = RivaWatermark
        self.k = binomial_threshold(32)

    def embed(self, rgb: np.ndarray) -> np.ndarray:
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        return np.ascontiguousarray(self.cls(BITS32.tolist(), 32).encode(bgr)[..., ::-1])

    def decode(self, rgb: np.ndarray) -> tuple[float, bool]:
        bits = np.asarray(self.cls([], 32).decode(np.ascontiguousarray(rgb[..., ::-1])), np.uint8)
        matched = int((bits == BITS32).sum())
        return matched / 32, matched >= self.k


# -- images ------------------------------------------------------------------------------------

def _media(name: str) -> np.ndarray:
    with Image.open(MEDIA / name) as im:
        return np.asarray(im.convert("RGB"))


def _skimage(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    if img.dtype != np.uint8:
        img = (img / img.max() * 255).astype(np.uint8)
    return np.dstack([img] * 3) if img.ndim == 2 else img[..., :3]


def comparison_images(quick: bool) -> dict[str, np.ndarray]:
    images = {
        "astronaut 512²": _skimage("astronaut"),
        "chelsea 451×300": _skimage("chelsea"),
        "earth 375²": _media("earth_apollo17.jpg"),
        "coffee 600×400": _skimage("coffee"),
        "sample1 768×512": _resize(_media("sample1.png"), 0.75),
    }
    if quick:
        return dict(list(images.items())[:3])
    return images


def extended_images() -> dict[str, np.ndarray]:
    images = {
        "sample1 1024×683": _media("sample1.png"),
        "mars 1053×600": _media("mars.webp"),
        "earth 375²": _media("earth_apollo17.jpg"),
        "astronaut 1024²": _resize(_skimage("astronaut"), 2.0, cv2.INTER_CUBIC),
        "astronaut 512²": _skimage("astronaut"),
        "coffee 1200×800": _resize(_skimage("coffee"), 2.0, cv2.INTER_CUBIC),
        "rocket 640×427": _skimage("rocket"),
        "cat 451×300": _skimage("cat"),
        "camera 512² (grey)": _skimage("camera"),
        "immunohistochemistry 512²": _skimage("immunohistochemistry"),
        "hubble 1000×872": _skimage("hubble_deep_field"),
        "sample1 1536×1024": _resize(_media("sample1.png"), 1.5, cv2.INTER_CUBIC),
    }
    return images


def video_frames(count: int) -> list[np.ndarray]:
    from studio_plugins.watermark.video import read_frames

    return list(read_frames(MEDIA / "legacy.mp4", max_frames=count))


def h264_roundtrip(frames: list[np.ndarray], crf: int = 28) -> list[np.ndarray]:
    import av

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=Fraction(30))
            stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": "medium"}
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        with av.open(str(path)) as container:
            return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


# -- runs --------------------------------------------------------------------------------------

def quality(original: np.ndarray, marked: np.ndarray) -> tuple[float, float]:
    psnr = embed.psnr(original, marked)
    ssim = structural_similarity(original, marked, channel_axis=2, data_range=255)
    return psnr, float(ssim)


def robustness(methods: list, images: dict[str, np.ndarray], frames: list[np.ndarray] | None):
    """results[method][attack] = list of (bit accuracy, detected); qualities[method] = list of (psnr, ssim)."""
    results = {m.name: {a: [] for a in [*ATTACKS, "H.264 CRF 28"]} for m in methods}
    qualities: dict[str, list[tuple[float, float]]] = {m.name: [] for m in methods}
    for label, original in images.items():
        started = time.perf_counter()
        for method in methods:
            marked = method.embed(original)
            qualities[method.name].append(quality(original, marked))
            for attack, fn in ATTACKS.items():
                results[method.name][attack].append(method.decode(fn(marked)))
        print(f"  {label}: {time.perf_counter() - started:.0f} s", flush=True)
    if frames:
        started = time.perf_counter()
        for method in methods:
            marked = [method.embed(f) for f in frames]
            for frame in h264_roundtrip(marked):
                results[method.name]["H.264 CRF 28"].append(method.decode(frame))
        print(f"  video ({len(frames)} frames, H.264 CRF 28): {time.perf_counter() - started:.0f} s", flush=True)
    return results, qualities


def _cell(values: list[tuple[float, bool]]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    arr = np.array(values, float)
    return float(arr[:, 0].mean()), float(arr[:, 1].mean())


def print_comparison(results, qualities, names: list[str]) -> dict[str, list[str]]:
    header = f"{'attack':<15}" + "".join(f"| {n + ' bits':>14} {n + ' det':>12} " for n in names)
    print(header)
    print("-" * len(header))
    shortfalls: dict[str, list[str]] = {"studio_below_riva": [], "studio_better": []}
    for attack in results[names[0]]:
        cells = {n: _cell(results[n][attack]) for n in names}
        row = f"{attack:<15}" + "".join(f"| {cells[n][0]:>14.3f} {cells[n][1]:>12.2f} " for n in names)
        print(row)
        if "RivaGAN" in cells:
            s, r = cells["Studio"], cells["RivaGAN"]
            if s[1] < r[1] or s[0] < r[0] - 1e-9:
                shortfalls["studio_below_riva"].append(attack)
            if s[1] > r[1] or (s[1] == r[1] and s[0] > r[0]):
                shortfalls["studio_better"].append(attack)
    print("-" * len(header))
    q = "".join(f"| PSNR {np.mean([p for p, _ in qualities[n]]):5.1f} (min {min(p for p, _ in qualities[n]):4.1f})"
                f" SSIM {min(s for _, s in qualities[n]):.3f} " for n in names)
    print(f"{'quality':<15}" + q)
    return shortfalls


def calibration(trials_per_image: int) -> None:
    """Studio's p-value on unmarked images with random keys, against the normal model it assumes."""
    import skimage.data

    names = ["astronaut", "coffee", "chelsea", "rocket", "camera", "brick", "grass", "gravel", "moon", "page",
             "text", "retina", "cat", "hubble_deep_field", "immunohistochemistry", "coins", "clock", "horse"]
    images = [_skimage(n) for n in names if hasattr(skimage.data, n)]
    images += [_media(n) for n in ("sample1.png", "mars.webp", "earth_apollo17.jpg")]
    rng = np.random.default_rng(99)
    p_values: list[float] = []
    thresholds = (4.0, 4.5, 5.0, 5.5)
    tails = np.zeros(len(thresholds))
    count = 0
    started = time.perf_counter()
    for image in images:
        for attack in ("none", "JPEG 75", "resize x0.75", "crop 10%"):
            prepared = detect.prepare(embed.luminance(ATTACKS[attack](image)))
            for _ in range(trials_per_image):
                key = rng.bytes(32)
                p_values.append(detect.test_key(prepared, key).p_value)
                sync_fft = np.conj(np.fft.rfft2(patterns_for(key).sync))
                for folded in prepared.folds:
                    for name in detect.ORIENTATIONS:
                        z, _ = detect.z_surface(detect.orient(folded, name), sync_fft)
                        tails += [(z >= t).sum() for t in thresholds]
                        count += z.size
    p = np.array(p_values)
    print(f"Calibration: {len(p)} detections on unmarked images ({len(images)} images × 4 versions × "
          f"{trials_per_image} random keys), {count / 1e6:.0f} M z-scores, {time.perf_counter() - started:.0f} s")
    print("  z-score tail        observed   normal model   ratio")
    for t, observed in zip(thresholds, tails, strict=True):
        expected = norm.sf(t) * count
        print(f"  z ≥ {t:<4}        {int(observed):>10} {expected:>14.1f}   {observed / expected:5.2f}")
    print("  p-value level   share of unmarked images at or below it (calibrated: ≤ level)")
    for alpha in (0.5, 0.1, 0.01, 1e-3, 1e-6):
        print(f"  {alpha:<8g}        {np.mean(p <= alpha):.4f}")
    print(f"  smallest p-value on an unmarked image: {p.min():.2g}; false positives at 1e-6: "
          f"{int((p <= FPR).sum())} of {len(p)}")


def baseline_false_positives(methods: list, images: dict[str, np.ndarray]) -> None:
    print("Baselines on unmarked images (every attack): detections at their binomial 1e-6 threshold")
    for method in methods:
        hits, total = 0, 0
        for original in images.values():
            for fn in ATTACKS.values():
                hits += method.decode(fn(original))[1]
                total += 1
        print(f"  {method.name}: {hits} of {total}")


def speed(riva: bool) -> None:
    import skimage.data

    image = _resize(skimage.data.astronaut(), 2.0, cv2.INTER_CUBIC)
    print("Speed on a 1024×1024 image (this machine, shared CPU; median of runs)")

    def timed(fn, runs):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return float(np.median(times)), out

    studio = Studio()
    api.embed_image(image, PAYLOAD)  # warm caches (keyed patterns)
    t_embed, marked = timed(lambda: studio.embed(image), 7)
    t_detect, _ = timed(lambda: studio.decode(marked), 7)
    rows = [("Studio", t_embed, t_detect)]
    d = DwtDctSvd()
    t_e, marked_d = timed(lambda: d.embed(image), 3)
    t_d, _ = timed(lambda: d.decode(marked_d), 3)
    rows.append(("dwtDctSvd", t_e, t_d))
    if riva:
        r = RivaGan()
        t_e, marked_r = timed(lambda: r.embed(image), 1)
        t_d, _ = timed(lambda: r.decode(marked_r), 1)
        rows.append(("RivaGAN", t_e, t_d))
    for name, e, dd in rows:
        ratio = "" if name == "Studio" else f"   ({e / t_embed:.1f}× / {dd / t_detect:.1f}× Studio's time)"
        print(f"  {name:<10} embed {e * 1000:8.0f} ms   detect {dd * 1000:8.0f} ms{ratio}")
    print(f"  target: Studio embed and detect ≤ 100 ms: {'met' if max(t_embed, t_detect) <= 0.1 else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 images, fewer frames and calibration trials")
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        methods = [Studio(), DwtDctSvd(), RivaGan()]
    except ImportError as exc:
        print(f"invisible-watermark is needed for the baselines: {exc}", file=sys.stderr)
        return 2
    images = comparison_images(args.quick)
    frames = video_frames(2 if args.quick else 4)
    print(f"Robustness: {len(images)} images ({', '.join(images)}) + {len(frames)} video frames, "
          f"{len(ATTACKS) - 1} attacks + H.264")
    results, qualities = robustness(methods, images, frames)
    print(f"\nBit accuracy (mean over images) and detection rate at FPR {FPR:g} "
          f"(Studio: p ≤ 1e-6; dwtDctSvd ≥ {methods[1].k}/64 bits; RivaGAN ≥ {methods[2].k}/32 bits)")
    print(f"({ATTACK_NOTES})\n")
    verdict = print_comparison(results, qualities, [m.name for m in methods])
    hard = ["JPEG 50", "resize x0.5", "screenshot"]
    print(f"\nTarget 'at least RivaGAN on every attack': "
          f"{'met' if not verdict['studio_below_riva'] else 'NOT met on ' + ', '.join(verdict['studio_below_riva'])}")
    print("Target 'better than RivaGAN on JPEG 50, resize ×0.5, screenshot': "
          + ", ".join(f"{a}: {'better' if a in verdict['studio_better'] else 'not better'}" for a in hard))

    extended = extended_images()
    print(f"\nStudio alone on {len(extended)} images of several sizes ({', '.join(extended)})")
    ext, ext_q = robustness([Studio()], extended, None)
    print(f"{'attack':<15}| {'bits':>6} {'det':>6}")
    for attack, values in ext["Studio"].items():
        if values:
            bits, det = _cell(values)
            print(f"{attack:<15}| {bits:>6.3f} {det:>6.2f}")
    psnrs, ssims = zip(*ext_q["Studio"], strict=True)
    print(f"quality: PSNR mean {np.mean(psnrs):.1f} dB (min {min(psnrs):.1f}), SSIM min {min(ssims):.4f}")

    print()
    calibration(2 if args.quick else 5)
    print()
    baseline_false_positives(methods[1:], dict(list(images.items())[:2]))
    print()
    speed(riva=not args.quick)
    print(f"\nTotal time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
