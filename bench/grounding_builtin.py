"""Figures of the built-in grounding model on held-out shapes-world scenes (issue 14).

    .venv/bin/python bench/grounding_builtin.py [--n 200] [--seed 9001] [--model DIR]

Held-out scenes (1-3 shapes, a seed range training never uses) rendered by the world's renderer at
64, 128 and 256 pixels; for each:
- attribute queries ("the small red circle", "the blue square", "the circle", "the red shape") for a
  shape in the scene → found with IoU ≥ 0.5 (the box of the returned top box vs the true box);
- absent queries (a kind+colour pair not in the scene) → no box;
- referring queries in scenes of 2-3 shapes ("the left one", "the shape at the top", "the rightmost
  shape", "the bigger shape", "the red one on the left" …) → the right shape (IoU ≥ 0.5);
- questions ("what colour is the star?", "what shape is the red one?", "how big is the …?", "where is
  the …?") → the right answer and its box at IoU ≥ 0.5;
- video: rendered motion clips (a shape moving between two cells, 16 frames, a still distractor of another
  colour or kind that its path never passes under) → identity switches per 100 frames and the fraction of
  frames with the right box; and two look-alike shapes whose paths cross (identities through the crossing).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from plugins.grounding import query as Q  # noqa: E402
from plugins.grounding.builtin import load  # noqa: E402
from plugins.grounding.track import Tracker, iou  # noqa: E402
from plugins.grounding.types import Found  # noqa: E402
from studio.world import render, render_motion, sample_scene  # noqa: E402
from studio.world.render import boxes as true_boxes  # noqa: E402
from studio.world.scene import cell_center  # noqa: E402
from studio.world.vocab import COLOURS, KINDS, POSITIONS  # noqa: E402


def _top(found: list[Found]) -> tuple[float, ...] | None:
    return found[0].box if found else None


def _hit(found: list[Found], truth: tuple[float, ...]) -> bool:
    return bool(found) and iou(found[0].box, truth) >= 0.5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=9001)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the per-picture time is measured so)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    model = load(args.model)
    rng = np.random.default_rng([args.seed, 14])
    stats: dict[str, list[bool]] = {k: [] for k in ("present", "absent", "referring", "answer", "attr_kind",
                                                     "attr_colour")}
    fails: dict[str, list[str]] = {k: [] for k in stats}
    t_detect: list[float] = []
    n_boxes = 0
    for i in range(args.n):
        side = (64, 128, 256)[i % 3]
        scene = sample_scene(rng, n_shapes=int(rng.integers(1, 4)), size=side)
        img = render(scene)
        truth = [b.xyxy for b in true_boxes(scene)]
        t0 = time.perf_counter()
        found_scene = model.scene(img)
        t_detect.append(time.perf_counter() - t0)
        n_boxes += len(found_scene.shapes)
        shapes = scene.shapes
        # present: name one shape by a random subset of its attributes that fits it alone in the scene
        for j in rng.permutation(len(shapes)):
            s = shapes[int(j)]
            forms = [f"the {s.colour} {s.kind}", f"the {s.size} {s.colour} {s.kind}", f"a {s.colour} {s.kind}",
                     f"the {s.kind}", f"the {s.colour} shape"]
            ok_forms = []
            for text in forms:
                q = Q.parse(text)
                fits = [k for k in shapes if (q.kind in (None, k.kind)) and (q.colour in (None, k.colour))
                        and (q.size in (None, k.size))]
                if len(fits) == 1:
                    ok_forms.append(text)
            if ok_forms:
                text = ok_forms[int(rng.integers(len(ok_forms)))]
                found, _ = Q.resolve(found_scene, text)
                hit = _hit(found, truth[int(j)])
                stats["present"].append(hit)
                if not hit:
                    got = [(f.attributes.get("colour"), f.attributes.get("kind")) for f in found]
                    fails["present"].append(f"{i} {text!r} got {got}")
                break
        # attributes read on the best-matching detection of each true shape
        for k, sh in enumerate(shapes):
            best = max(found_scene.shapes, key=lambda d: iou(d.box, truth[k]), default=None)
            if best is not None and iou(best.box, truth[k]) >= 0.5:
                stats["attr_kind"].append(best.kind == sh.kind)
                stats["attr_colour"].append(best.colour == sh.colour)
            else:
                stats["attr_kind"].append(False)
                stats["attr_colour"].append(False)
        # absent
        present = {(k.colour, k.kind) for k in shapes}
        while True:
            c, k = list(COLOURS)[int(rng.integers(7))], KINDS[int(rng.integers(4))]
            if (c, k) not in present and c != scene.background:
                break
        found, _ = Q.resolve(found_scene, f"the {c} {k}")
        stats["absent"].append(not found)
        if found:
            fails["absent"].append(f"{i} 'the {c} {k}' in {sorted(present)}")
        # referring
        if len(shapes) >= 2:
            cx = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in truth]
            areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in truth]
            options = []
            xs = sorted(range(len(shapes)), key=lambda m: cx[m][0])
            ys = sorted(range(len(shapes)), key=lambda m: cx[m][1])
            if cx[xs[1]][0] - cx[xs[0]][0] > side * 0.15:
                options += [("the left one", xs[0]), ("the leftmost shape", xs[0]), ("the shape on the left", xs[0])]
            if cx[xs[-1]][0] - cx[xs[-2]][0] > side * 0.15:
                options += [("the right one", xs[-1]), ("the rightmost shape", xs[-1])]
            if cx[ys[1]][1] - cx[ys[0]][1] > side * 0.15:
                options += [("the shape at the top", ys[0]), ("the top one", ys[0])]
            if cx[ys[-1]][1] - cx[ys[-2]][1] > side * 0.15:
                options += [("the bottom shape", ys[-1])]
            order = sorted(range(len(shapes)), key=lambda m: areas[m])
            if areas[order[-1]] > 1.6 * areas[order[-2]]:
                options += [("the biggest shape", order[-1]), ("the larger one", order[-1])]
            if areas[order[1]] > 1.6 * areas[order[0]]:
                options += [("the smallest shape", order[0])]
            kinds = [k.kind for k in shapes]
            for kind in set(kinds):
                same = [m for m in range(len(shapes)) if kinds[m] == kind]
                if len(same) == 2 and abs(cx[same[0]][0] - cx[same[1]][0]) > side * 0.15:
                    left = min(same, key=lambda m: cx[m][0])
                    options.append((f"the left {kind}", left))
            if options:
                text, target = options[int(rng.integers(len(options)))]
                found, _ = Q.resolve(found_scene, text)
                hit = _hit(found, truth[target]) and len(found) == 1
                stats["referring"].append(hit)
                if not hit:
                    fails["referring"].append(f"{i} {text!r}")
        # questions about a uniquely named shape
        j = int(rng.integers(len(shapes)))
        s = shapes[j]
        unique_kind = sum(k.kind == s.kind for k in shapes) == 1
        unique_colour = sum(k.colour == s.colour for k in shapes) == 1
        qs = []
        if unique_kind:
            qs += [(f"what colour is the {s.kind}?", s.colour), (f"is the {s.kind} small or large?", s.size),
                   (f"where is the {s.kind}?", s.position)]
        if unique_colour:
            qs += [(f"what shape is the {s.colour} one?", s.kind), (f"what kind of shape is {s.colour}?", s.kind)]
        if qs:
            question, expected = qs[int(rng.integers(len(qs)))]
            ans = Q.answer(found_scene, question)
            ok = ans.answer == expected and bool(ans.found) and iou(ans.found[0].box, truth[j]) >= 0.5
            stats["answer"].append(ok)
            if not ok:
                fails["answer"].append(f"{i} {question!r} → {ans.answer!r} (want {expected!r})")
    # video
    switches = frames_right = frames_total = 0
    vrng = np.random.default_rng([args.seed, 15])
    for _v in range(max(10, args.n // 10)):
        while True:  # a mover whose path never passes under the still shape (that would hide it)
            scene = sample_scene(vrng, n_shapes=2, size=128)
            mover = scene.shapes[0]
            cells = list(POSITIONS)
            start, end = cells[int(vrng.integers(9))], cells[int(vrng.integers(9))]
            from studio.world.render import shape_bbox

            p0 = cell_center(mover.kind, mover.size, start, mover.scale, 128)
            p1 = cell_center(mover.kind, mover.size, end, mover.scale, 128)
            still = shape_bbox(scene.shapes[1], 128, pad=2.0)
            path = [shape_bbox(replace(mover, center=(p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t)), 128)
                    for t in np.linspace(0, 1, 16)]
            other = scene.shapes[1]
            apart = all(b[2] < still[0] or still[2] < b[0] or b[3] < still[1] or still[3] < b[1] for b in path)
            if start != end and (other.colour, other.kind) != (mover.colour, mover.kind) and apart:
                break
        frames = render_motion(scene, 16, start, end)
        tracker = Tracker()
        ids = []

        for f_i, frame in enumerate(frames):
            fs = model.scene(frame)
            found, _ = Q.resolve(fs, f"the {mover.colour} {mover.kind}")
            tid = tracker.update(f_i, found)
            t = f_i / 15
            moved = replace(mover, center=(p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t))
            tb = true_boxes(scene.with_shape(0, moved))[0].xyxy
            frames_total += 1
            if found and iou(found[0].box, tb) >= 0.5:
                frames_right += 1
                ids.append(tid[0])
        switches += sum(1 for a, b in zip(ids, ids[1:], strict=False) if a != b)
    # two look-alike shapes (same kind and colour) whose paths cross: identities through the crossing
    from studio.world import Scene, Shape
    from studio.world import render as render_scene

    crng = np.random.default_rng([args.seed, 17])
    cross_switch = cross_found = cross_total = 0
    for _c in range(max(10, args.n // 10)):
        kind, colour = KINDS[int(crng.integers(4))], ["red", "green", "blue", "yellow"][int(crng.integers(4))]
        a = Shape(kind, colour, "small", "left")
        b = Shape(kind, colour, "small", "top")
        y_row = float(crng.uniform(0.35, 0.65))
        x_col = float(crng.uniform(0.35, 0.65))
        lag = float(crng.uniform(-0.3, 0.3))  # the vertical one reaches the crossing earlier or later
        last: dict[int, int] = {}
        for f_i in range(16):
            t = f_i / 15
            pa = (0.15 + 0.7 * t, y_row)
            pb = (x_col, 0.15 + 0.7 * min(1.0, max(0.0, t + lag)))
            frame = render_scene(Scene((replace(a, center=pa), replace(b, center=pb)), "black", 128))
            truth = true_boxes(Scene((replace(a, center=pa), replace(b, center=pb)), "black", 128))
            found, _ = Q.resolve(model.scene(frame), f"{colour} {kind}s")
            if f_i == 0:
                tracker = Tracker()
            ids = tracker.update(f_i, found)
            cross_total += len(truth)
            if found:  # one box per object (Hungarian on IoU), as MOT metrics count
                from scipy.optimize import linear_sum_assignment

                m = np.array([[iou(f.box, tb.xyxy) for f in found] for tb in truth])
                for r, c in zip(*linear_sum_assignment(-m), strict=True):
                    if m[r, c] >= 0.5:
                        cross_found += 1
                        if int(r) in last and last[int(r)] != ids[int(c)]:
                            cross_switch += 1
                        last[int(r)] = ids[int(c)]
    # scenes drawn by other code (Pillow, no anti-aliasing, CSS colours, other proportions)
    from pil_shapes import draw_scene

    prng = np.random.default_rng([args.seed, 16])
    other: dict[str, list[bool]] = {"present": [], "absent": []}
    for _p in range(args.n):
        rgb, bg, shapes = draw_scene(prng, side=int(prng.choice([96, 200, 256, 512])))
        if not shapes:
            continue
        fs = model.scene(rgb)
        s = shapes[int(prng.integers(len(shapes)))]
        same = [t for t in shapes if t["kind"] == s["kind"] and t["colour"] == s["colour"]]
        if len(same) == 1:
            found, _ = Q.resolve(fs, f"the {s['colour']} {s['kind']}")
            other["present"].append(_hit(found, s["box"]))
        present = {(t["colour"], t["kind"]) for t in shapes}
        while True:
            c, k = list(COLOURS)[int(prng.integers(7))], KINDS[int(prng.integers(4))]
            if (c, k) not in present:
                break
        found, _ = Q.resolve(fs, f"the {c} {k}")
        other["absent"].append(not found)
    pct = {k: 100.0 * float(np.mean(v)) if v else float("nan") for k, v in stats.items()}
    print(f"model: {model.folder} (trained steps {model.trained_steps}); {args.n} held-out scenes, seed {args.seed}")
    print(f"found the asked shape (IoU ≥ 0.5):     {pct['present']:.1f}%  (n={len(stats['present'])}, need ≥ 90)")
    print(f"absent shape → no box:                 {pct['absent']:.1f}%  (n={len(stats['absent'])}, need ≥ 90)")
    print(f"referring query → the right shape:     {pct['referring']:.1f}%  (n={len(stats['referring'])}, need ≥ 85)")
    print(f"grounded answer right + box IoU ≥ 0.5: {pct['answer']:.1f}%  (n={len(stats['answer'])}, need ≥ 90)")
    print(f"kind read right / colour read right:   {pct['attr_kind']:.1f}% / {pct['attr_colour']:.1f}%")
    print(f"video: right box in {100.0 * frames_right / max(1, frames_total):.1f}% of {frames_total} frames; "
          f"identity switches per 100 frames: {100.0 * switches / max(1, frames_total):.2f}")
    print(f"video, two look-alikes crossing: found {100.0 * cross_found / max(1, cross_total):.1f}% of "
          f"{cross_total} object-frames; identity switches per 100 object-frames: "
          f"{100.0 * cross_switch / max(1, cross_total):.2f}")
    print(f"other renderer (Pillow): asked shape found {100 * np.mean(other['present']):.1f}% "
          f"(n={len(other['present'])}), absent → no box {100 * np.mean(other['absent']):.1f}% "
          f"(n={len(other['absent'])})")
    print(f"detection: {1000 * float(np.median(t_detect)):.1f} ms per picture (median, CPU, {args.threads} thread(s)); "
          f"{n_boxes / float(np.sum(t_detect)):.0f} boxes/s")
    for k, v in fails.items():
        if v:
            print(f"  {k} failures (first 8): " + "; ".join(v[:8]))


if __name__ == "__main__":
    main()
