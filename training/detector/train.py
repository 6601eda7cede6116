"""Train Studio's built-in upsampling-trace detector: logistic regression on patch features.

    .venv/bin/python training/detector/train.py            # writes assets/detectors/upsampling-logreg.{npz,md}

Data (see detector_data.py) is made offline: natural pictures vs the same
pictures through generator-style upsampling and autoencoder round trips.
Pictures in HELD_OUT never reach training; accuracy and AUC are measured on
them, per patch and per picture. numpy + scipy only (torch trains the small
autoencoders used as one kind of round trip). Everything is seeded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import detector_data as dd  # noqa: E402

from studio_plugins.forensics.features import FEATURE_NAMES, MIN_PATCH_STD, PATCH, patch_features  # noqa: E402

OUT = HERE.parents[1] / "assets" / "detectors"
NAME = "upsampling-logreg"
PATCHES_PER_IMAGE = 24
L2 = 1e-2
SEED = 20240601


def build(sources: dict[str, np.ndarray], names: list[str], variants: dict[str, dict], seed: int
          ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """Features, labels and (source, variant) of every patch of ``names`` under every variant."""
    xs, ys, tags = [], [], []
    for s_i, name in enumerate(names):
        for label, group in ((0, variants["natural"]), (1, variants["generated"])):
            for v_i, (variant, fn) in enumerate(group.items()):
                gray = dd.to_gray(fn(sources[name]))
                patches = dd.random_patches(gray, PATCHES_PER_IMAGE, PATCH, seed + 1000 * s_i + v_i, MIN_PATCH_STD)
                if len(patches) == 0:
                    continue
                xs.append(patch_features(patches))
                ys.append(np.full(len(patches), label))
                tags += [(name, variant)] * len(patches)
    return np.concatenate(xs), np.concatenate(ys), tags


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    from scipy.optimize import minimize

    weight = np.where(y == 1, 0.5 / max((y == 1).mean(), 1e-9), 0.5 / max((y == 0).mean(), 1e-9))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        nll = weight * (np.logaddexp(0, z) - y * z)
        grad_z = weight * (p - y)
        value = nll.mean() + l2 * 0.5 * (w @ w)
        grad = np.concatenate([x.T @ grad_z / len(y) + l2 * w, [grad_z.mean()]])
        return float(value), grad

    result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return result.x[:-1], float(result.x[-1])


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (the probability a positive outranks a negative; ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def calibration(p: np.ndarray, y: np.ndarray, bins: int = 10) -> dict:
    """Brier score and expected calibration error (10 equal-width bins) of probabilities ``p``."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    ece = sum(abs(p[index == b].mean() - y[index == b].mean()) * (index == b).mean()
              for b in range(bins) if (index == b).any())
    return {"brier": float(((p - y) ** 2).mean()), "ece": float(ece)}


def evaluate(z: np.ndarray, y: np.ndarray, tags: list[tuple[str, str]]) -> dict:
    patch = {"accuracy": float(((z > 0) == (y == 1)).mean()), "auc": auc(z, y), "patches": int(len(y)),
             **calibration(1.0 / (1.0 + np.exp(-z)), y)}
    keys = sorted(set(tags))
    index = {k: i for i, k in enumerate(keys)}
    ids = np.array([index[t] for t in tags])
    image_z = np.array([z[ids == i].mean() for i in range(len(keys))])
    image_y = np.array([y[ids == i][0] for i in range(len(keys))])
    image = {"accuracy": float(((image_z > 0) == (image_y == 1)).mean()), "auc": auc(image_z, image_y),
             "images": len(keys)}
    per_variant = {}
    for variant in sorted({v for _, v in keys}):
        mask = np.array([t[1] == variant for t in tags])
        per_variant[variant] = round(float(((z[mask] > 0) == (y[mask] == 1)).mean()), 3)
    return {"patch": patch, "image": image, "per_variant_accuracy": per_variant}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--ae-steps", type=int, default=300)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sources = dd.load_sources()
    train_names = [n for n in sources if n not in dd.HELD_OUT]
    test_names = [n for n in sources if n in dd.HELD_OUT]
    print(f"{len(train_names)} training pictures, {len(test_names)} held out: {', '.join(test_names)}")
    trained_ae = dd.Autoencoder(seed=1, upsampling="transposed")
    ae_loss = trained_ae.train([sources[n] for n in train_names if min(sources[n].shape[:2]) > 64],
                               args.ae_steps, seed=SEED)
    autoencoders = {"autoencoder_trained": trained_ae,
                    "autoencoder_random_nearest": dd.Autoencoder(seed=2, upsampling="nearest")}
    print(f"autoencoder trained ({args.ae_steps} steps, final MSE {ae_loss:.4f})")
    variants = {"natural": dd.natural_variants(SEED), "generated": dd.generated_variants(SEED, autoencoders)}
    x_train, y_train, _ = build(sources, train_names, variants, SEED)
    x_test, y_test, tags_test = build(sources, test_names, variants, SEED + 7)
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
    w, b = fit((x_train - mean) / scale, y_train, L2)
    z_train = ((x_train - mean) / scale) @ w + b
    z_test = ((x_test - mean) / scale) @ w + b
    metrics = {"train_patch_accuracy": float(((z_train > 0) == (y_train == 1)).mean()),
               "held_out": evaluate(z_test, y_test, tags_test)}
    held = metrics["held_out"]
    print(f"held-out patches: accuracy {held['patch']['accuracy']:.3f}, AUC {held['patch']['auc']:.3f}, "
          f"Brier {held['patch']['brier']:.3f}, ECE {held['patch']['ece']:.3f} ({held['patch']['patches']} patches)")
    print(f"held-out pictures: accuracy {held['image']['accuracy']:.3f}, AUC {held['image']['auc']:.3f} "
          f"({held['image']['images']} picture variants)")
    print("per variant:", json.dumps(held["per_variant_accuracy"]))
    meta = {
        "name": NAME, "version": 1, "created": dt.date.today().isoformat(), "kind": "logistic-regression",
        "features": "studio_plugins.forensics.features.patch_features", "patch": PATCH,
        "train_sources": train_names, "held_out_sources": test_names,
        "natural_variants": list(variants["natural"]), "generated_variants": list(variants["generated"]),
        "train_patches": int(len(y_train)), "metrics": metrics,
        "validated_against_real_generators": False,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / f".{NAME}.npz.tmp"
    with open(tmp, "wb") as fh:
        np.savez(fh, weights=w.astype(np.float64), bias=np.float64(b), mean=mean.astype(np.float64),
                 scale=scale.astype(np.float64), feature_names=np.array(FEATURE_NAMES),
                 meta=np.array(json.dumps(meta)))
    tmp.replace(args.out / f"{NAME}.npz")
    (args.out / f"{NAME}.md").write_text(model_card(meta), encoding="utf-8")
    print(f"wrote {args.out / (NAME + '.npz')} and its model card in {time.perf_counter() - start:.0f} s")
    return 0


def model_card(meta: dict) -> str:
    held = meta["metrics"]["held_out"]
    variants = "\n".join(f"| {k} | {v:.3f} |" for k, v in held["per_variant_accuracy"].items())
    return f"""# Model card: {meta['name']} (Studio's built-in upsampling-trace detector)

**What it is.** Logistic regression on {len(FEATURE_NAMES)} hand-made features of 128×128 grey patches
(`studio_plugins.forensics.features`): pixel-phase contrast of first and second derivatives (periods 2, 4
and 8), spectral peaks of the high-pass residual at the upsampling frequencies, the upper half of the
azimuthally averaged log spectrum (after Durall et al. 2020 and Frank et al. 2020), residual statistics, and
how well each pixel is predicted linearly from its neighbours on even and odd pixels (after Popescu & Farid
2005: interpolation makes pixels exact mixtures of their neighbours).
A picture's score is the mean patch logit over an even grid of textured patches, turned into a probability.

**What it was trained on.** Only data made offline in this repository (`training/detector/`):
natural pictures ({', '.join(meta['train_sources'])}) — scikit-image's bundled images, the pictures in
`shared/media-samples` and the keyframes of its video — in their natural variants
({', '.join(meta['natural_variants'])}), against the same pictures through generator-style processing
({', '.join(meta['generated_variants'])}): down to a coarse grid and up by 2 or 4 (nearest, bilinear,
bicubic), a stride-2 transposed convolution with an uneven kernel, a small convolutional autoencoder trained
here and an untrained one with nearest upsampling, and JPEG-plus-resize chains.
{meta['train_patches']} training patches.

**How well it does — on the same kind of synthetic data only.** Held-out pictures never used in training
({', '.join(meta['held_out_sources'])}), each in every variant:

| measure | value |
| --- | --- |
| patch accuracy | {held['patch']['accuracy']:.3f} ({held['patch']['patches']} patches) |
| patch AUC | {held['patch']['auc']:.3f} |
| patch Brier score | {held['patch']['brier']:.3f} |
| patch expected calibration error (10 bins) | {held['patch']['ece']:.3f} |
| picture accuracy | {held['image']['accuracy']:.3f} ({held['image']['images']} picture variants) |
| picture AUC | {held['image']['auc']:.3f} |

Held-out accuracy per variant:

| variant | accuracy |
| --- | --- |
{variants}

**What it is not.** It is NOT validated against today's real generators (diffusion models, GANs, commercial
services): their decoders, post-processing and the re-encoding platforms apply may leave traces it has never
seen, or none it can find. A high score says "this picture carries periodic upsampling traces like those
in its training data"; a low score says nothing about whether a generator made the picture. Resizing,
screenshots and heavy compression destroy the traces. Its probability's calibration (Brier score, expected
calibration error above) is measured on the synthetic held-out data only; on real pictures it is unknown,
which is why Studio never folds it into a combined score. Use it as one signal among several, never as a
verdict.

Created {meta['created']}; version {meta['version']}. Retrain with `.venv/bin/python training/detector/train.py`.
"""


if __name__ == "__main__":
    raise SystemExit(main())
