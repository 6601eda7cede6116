"""Train the built-in grounding model (``assets/models/studio-grounding``) on the shapes world.

Resumable: the whole state is checkpointed atomically to ``~/.cache/studio-training/grounding/``
every few minutes and on SIGTERM; the same command continues. ``--export`` writes the EMA weights
to the assets folder (safetensors + config.json) atomically.

    STUDIO_TRAIN_THREADS=1 .venv/bin/python training/grounding/train.py --steps 8000
    .venv/bin/python training/grounding/train.py --export
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "training")]

from grounding.data import targets  # noqa: E402
from shapes_model.checkpoint import save_atomic  # noqa: E402

from plugins.grounding.shapesnet import NetConfig, build, split  # noqa: E402

CKPT_DIR = Path(os.environ.get("STUDIO_TRAIN_DIR", Path.home() / ".cache" / "studio-training")) / "grounding"
EXPORT_DIR = REPO / "assets" / "models" / "studio-grounding"


class Stream(torch.utils.data.IterableDataset):
    def __init__(self, seed: int, start: int, batch: int) -> None:
        self.seed, self.start, self.batch = seed, start, batch

    def __iter__(self):  # type: ignore[no-untyped-def]
        step = self.start
        while True:
            rng = np.random.default_rng([self.seed, step])
            items = [targets(rng) for _ in range(self.batch)]
            yield {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0]}
            step += 1


def focal(logit: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(logit).clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = 1 - pos
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - gt) ** 4 * neg
    n = pos.sum().clamp(min=1)
    return -(pos_loss.sum() + neg_loss.sum()) / n


def losses(out: torch.Tensor, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    o = split(out)
    reg = batch["reg"]
    w = reg[:, 4]
    n = w.sum().clamp(min=1)
    wh = (F.l1_loss(o["wh"], reg[:, 0:2], reduction="none").sum(1) * w).sum() / n
    off = (F.l1_loss(torch.sigmoid(o["offset"]), reg[:, 2:4], reduction="none").sum(1) * w).sum() / n
    kind = F.cross_entropy(o["kind"], batch["kind"], ignore_index=-1)
    colour = F.cross_entropy(o["colour"], batch["colour"], ignore_index=-1)
    mask = F.binary_cross_entropy_with_logits(o["mask"], batch["mask"])
    return {"heat": focal(o["heat"], batch["heat"]), "wh": 5 * wh, "off": off, "kind": kind, "colour": colour,
            "mask": mask}


def export(state: dict, out_dir: Path) -> None:
    from safetensors.torch import save_file

    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    weights = {k: v.detach().float().contiguous() for k, v in state["ema"].items()}
    save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt", "studio": "grounding"})
    cfg = NetConfig().to_dict()
    cfg["trained_steps"] = int(state["step"])
    cfg["seed"] = int(state["seed"])
    (tmp / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    if out_dir.exists():
        old = out_dir.with_name(out_dir.name + ".old")
        os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        import shutil

        shutil.rmtree(old)
    else:
        os.replace(tmp, out_dir)
    print(f"exported step {state['step']} to {out_dir}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    ap.add_argument("--export", action="store_true", help="export the checkpoint's EMA weights and stop")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("STUDIO_TRAIN_THREADS", "1")))
    torch.manual_seed(args.seed)
    latest = CKPT_DIR / "latest.pt"
    net = build()
    ema = copy.deepcopy(net).eval()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    step = 0
    if latest.exists():
        state = torch.load(latest, map_location="cpu", weights_only=True)
        if args.export:
            export(state, EXPORT_DIR)
            return
        net.load_state_dict(state["net"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step = int(state["step"])
        print(f"resumed at step {step}", flush=True)
    elif args.export:
        raise SystemExit(f"no checkpoint at {latest}")
    print(f"parameters: {sum(p.numel() for p in net.parameters()) / 1e6:.2f} M", flush=True)

    def state_dict() -> dict:
        return {"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                "seed": args.seed}

    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))
    loader = torch.utils.data.DataLoader(Stream(args.seed, step, args.batch), batch_size=None, num_workers=1,
                                         prefetch_factor=4, persistent_workers=False)
    last_ckpt = time.time()
    t0 = time.time()
    sums: dict[str, float] = {}
    net.train()
    for batch in loader:
        if stop["flag"] or step >= args.steps:
            break
        lr = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / args.steps))))
        if step < 300:
            lr *= (step + 1) / 300
        for g in opt.param_groups:
            g["lr"] = lr
        x = batch["image"].permute(0, 3, 1, 2).float() / 127.5 - 1.0
        parts = losses(net(x), batch)
        loss = sum(parts.values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        step += 1
        with torch.no_grad():
            decay = min(0.998, (1 + step) / (10 + step))
            for pe, p in zip(ema.state_dict().values(), net.state_dict().values(), strict=True):
                if pe.dtype.is_floating_point:
                    pe.mul_(decay).add_(p.detach(), alpha=1 - decay)
                else:
                    pe.copy_(p)
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        if step % 50 == 0:
            msg = " ".join(f"{k}={v / 50:.3f}" for k, v in sums.items())
            print(f"step {step} lr={lr:.2e} {msg} ({(time.time() - t0) / 50:.2f} s/step)", flush=True)
            sums, t0 = {}, time.time()
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save_atomic(state_dict(), latest)
            last_ckpt = time.time()
    save_atomic(state_dict(), latest)
    print(f"checkpoint at step {step}", flush=True)


if __name__ == "__main__":
    main()
