"""Content Credentials benchmark: sign and verify time per format, Studio against bare c2pa-python.

Run: ``.venv/bin/python bench/credentials_bench.py [--repeat N]``

For every file of ../shared/media-samples and a generated 12-megapixel JPEG,
in the same run:

- sign, bare:   c2pa.Builder with the same manifest Studio writes for ``studio sign``
                (c2pa.opened, the file as parent ingredient) and Builder.sign, stream to stream;
- sign, step:   the plugin's signing step on the same file (manifest plan, identity load,
                signing into a sibling temporary file, replace);
- sign, export: the whole ``studio sign`` path (app.export.export_file: checks the file decodes,
                hashes it, copies it, signs, replaces atomically);
- verify, bare: c2pa.Reader with the same trust settings, and its JSON;
- verify, studio: the plugin's verify (the ``studio verify --json`` document);
- report:       the Verify view's section (verify + thumbnails of the file and its ingredients).

Ratios are Studio's time over the bare calls' time (median of the repeats).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media-samples"


def timed(fns: dict, repeat: int) -> dict[str, float]:
    """Median seconds per function; the functions take turns, so a busy machine slows them alike."""
    for fn in fns.values():
        fn()  # warm-up: caches, lazy imports
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def make_12mp_jpeg(path: Path) -> None:
    """A 4000×3000 photo-like JPEG: smooth gradients, shapes and sensor-like noise."""
    from PIL import Image

    rng = np.random.default_rng(12)
    h, w = 3000, 4000
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 700.0), 120 + 90 * np.cos(y / 500.0), 110 + 80 * np.sin((x + y) / 900.0)],
                   axis=2)
    for _ in range(40):
        cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(40, 400)
        mask = (y - cy) ** 2 + (x - cx) ** 2 < r * r
        img[mask] = rng.integers(0, 255, 3)
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=92)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median); 12 MP uses fewer")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="credentials-bench-"))
    os.environ["STUDIO_CONFIG_DIR"] = str(work / "config")
    sys.path.insert(0, str(ROOT))
    import c2pa

    from studio.application import StudioApp
    from studio.document.provenance import Record
    from studio.imageio import sha256_file
    from studio_plugins.credentials import identity, report, trust
    from studio_plugins.credentials.manifest import build_plan
    from studio_plugins.credentials.signing import SIGNABLE, format_of, sign_in_place
    from studio_plugins.credentials.verify import verify

    app = StudioApp()
    me = identity.create()
    anchors = trust.collect({})
    files = [MEDIA / n for n in ("earth_apollo17.jpg", "sample1.png", "mars.webp", "TUSCANY.TIF", "legacy.mp4")]
    big = work / "photo-12mp.jpg"
    make_12mp_jpeg(big)
    files.append(big)

    print(f"c2pa-python {c2pa.__version__} (c2pa-rs {c2pa.sdk_version()}), repeat {args.repeat}, "
          f"{os.cpu_count()} CPUs\n")
    header = (f"{'file':<22}{'size':>9} | {'sign bare':>9}{'step':>8}{'ratio':>7}{'export':>8}{'ratio':>7} | "
              f"{'verify bare':>11}{'studio':>8}{'ratio':>7}{'report':>8}{'ratio':>7}")
    print(header)
    print("-" * len(header))
    rows = []
    for src in files:
        repeat = max(1, args.repeat // 2) if src == big else args.repeat
        fmt = format_of(src)
        mime = SIGNABLE[fmt]
        record = Record.opened(str(src), sha256_file(src))
        signer_info = c2pa.C2paSignerInfo(me.alg.encode(), me.chain_pem, me.key_pem, None)
        bare_out = work / f"bare{src.suffix}"

        def sign_bare(src=src, mime=mime, record=record, signer_info=signer_info, bare_out=bare_out):
            plan = build_plan(record, [], bare_out.name)  # the same manifest definition
            context = c2pa.Context.from_dict(trust.signer_settings(None))
            builder = c2pa.Builder(plan.definition, context)
            parent = plan.ingredients[0]
            with open(src, "rb") as fh:
                builder.add_ingredient({"title": parent.title, "relationship": "parentOf",
                                        "instance_id": parent.id}, mime, fh)
            signer = c2pa.Signer.from_info(signer_info)
            with open(src, "rb") as source, open(bare_out, "w+b") as dest:
                builder.sign(signer, mime, source, dest)
            signer.close()
            context.close()

        step_file = work / f"step{src.suffix}"

        def sign_step(src=src, mime=mime, record=record, step_file=step_file):
            shutil.copyfile(src, step_file)
            sign_in_place(step_file, mime, build_plan(record, [], step_file.name), identity.load(), None)

        def copy_only(src=src, step_file=step_file):
            shutil.copyfile(src, step_file)

        export_out = work / f"export{src.suffix}"

        def sign_export(src=src, export_out=export_out):
            from studio_plugins.credentials.signing import check_whole

            check_whole(src, format_of(src))  # what 'studio sign' checks first
            app.export.export_file(src, export_out, Record.opened(str(src), sha256_file(src)), {"sign": True})

        signs = timed({"bare": sign_bare, "step": sign_step, "copy": copy_only, "export": sign_export}, repeat)
        t_bare, t_export = signs["bare"], signs["export"]
        t_step = signs["step"] - signs["copy"]  # the step signs a file the pipeline already copied

        def verify_bare(out=export_out):
            context = c2pa.Context.from_dict(trust.reader_settings(anchors))
            with c2pa.Reader(str(out), None, None, context) as reader:
                json.loads(reader.json())
            context.close()

        def full_report(out=export_out):
            thumbs: dict[str, bytes] = {}
            report.section(verify(out, anchors, thumbs), thumbs)

        checks = timed({"bare": verify_bare, "studio": lambda out=export_out: verify(out, anchors),
                        "report": full_report}, repeat * 2)
        t_vbare, t_verify, t_report = checks["bare"], checks["studio"], checks["report"]
        assert verify(export_out, anchors)["state"] == "trusted"
        assert verify(bare_out, anchors)["state"] == "trusted"
        name = src.name if src != big else "photo-12mp.jpg (gen.)"
        size = f"{src.stat().st_size / 1e6:.2f} MB"
        print(f"{name:<22}{size:>9} | {t_bare * 1e3:>8.1f}m{t_step * 1e3:>7.1f}m{t_step / t_bare:>7.2f}"
              f"{t_export * 1e3:>7.1f}m{t_export / t_bare:>7.2f} | {t_vbare * 1e3:>10.1f}m{t_verify * 1e3:>7.1f}m"
              f"{t_verify / t_vbare:>7.2f}{t_report * 1e3:>7.1f}m{t_report / t_vbare:>7.2f}")
        rows.append({"file": name, "bytes": src.stat().st_size, "sign_bare_s": t_bare, "sign_step_s": t_step,
                     "sign_export_s": t_export, "verify_bare_s": t_vbare, "verify_studio_s": t_verify,
                     "report_s": t_report})
    print("\n(times in ms, 'm'; ratio = Studio / bare c2pa-python, same files, same run)")
    out = io.StringIO()
    json.dump(rows, out, indent=1)
    for item in work.iterdir():  # keep only the figures
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()
    (work / "results.json").write_text(out.getvalue())
    print(f"raw results: {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
