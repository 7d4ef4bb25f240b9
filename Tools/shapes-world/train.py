#!/usr/bin/env python3
"""Train the shapes-world Mask2Former from random init with transformers' own loss.

    python train.py --out ../shapes-train --steps 3200            # starts, or resumes from OUT/last.pt
    python train.py --out ../shapes-train --steps 3200 --stop-after 500   # at most 500 steps now, resume later

Each step draws `--batch` scenes of the train split on the fly: step s uses scenes
s·B .. s·B+B−1 (shapes_world.render_scene("train", i)), so the data order is a function of the step
and a resumed run sees exactly the scenes it would have seen. The loss is
`Mask2FormerForUniversalSegmentation(pixel_values, mask_labels=..., class_labels=...).loss`:
Hungarian matching, point-sampled BCE + dice mask losses, cross-entropy with the 0.1 no-object
weight, summed over the 10 predictions (deep supervision).

OUT holds: last.pt (model, optimizer, scheduler, step, RNG states, arguments; written atomically
every --save-every steps, at the end and on SIGINT/SIGTERM), log.jsonl (one line per step, plus
validation lines), curve.png (loss curves, drawn with Pillow) and train_args.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import shapes_model  # noqa: E402
import shapes_world as sw  # noqa: E402

from transformers import Mask2FormerForUniversalSegmentation  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

MEAN = np.array(shapes_model.IMAGE_MEAN, np.float32)
STD = np.array(shapes_model.IMAGE_STD, np.float32)


# ------------------------------------------------------------------------------------- data

def scene_to_example(scene: sw.Scene):
    """pixel_values [3, H, W] (rescale 1/255 + ImageNet normalisation, exactly what the saved
    Mask2FormerImageProcessor does to a scene of the scene size), mask_labels [n, H, W] float
    (one binary mask per segment, stuff and things alike), class_labels [n] long."""
    x = (scene.image.astype(np.float32) * np.float32(1 / 255) - MEAN) / STD
    pixel_values = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
    ids = torch.from_numpy(scene.ids.astype(np.int64))
    seg_ids = torch.tensor([s["id"] for s in scene.segments], dtype=torch.int64)
    masks = (ids[None] == seg_ids[:, None, None]).float()
    classes = torch.tensor([s["category_id"] for s in scene.segments], dtype=torch.int64)
    return pixel_values, masks, classes


class Scenes(torch.utils.data.Dataset):
    """Scene i of a split, generated on the fly."""

    def __init__(self, split):
        self.split = split

    def __len__(self):
        return 1 << 40

    def __getitem__(self, index):
        return scene_to_example(sw.render_scene(self.split, int(index)))


class PanopticFolder(torch.utils.data.Dataset):
    """A split written in the COCO panoptic layout (DIR/panoptic.json, DIR/images, DIR/panoptic);
    index i reads scene i mod N, so any step-indexed order works."""

    def __init__(self, root):
        self.root = root
        with open(os.path.join(root, "panoptic.json")) as f:
            doc = json.load(f)
        images = {im["id"]: im for im in doc["images"]}
        self.items = [(images[a["image_id"]]["file_name"], a["file_name"], a["segments_info"]) for a in doc["annotations"]]

    def __len__(self):
        return 1 << 40

    def __getitem__(self, index):
        image_name, pan_name, segments = self.items[int(index) % len(self.items)]
        image = np.asarray(Image.open(os.path.join(self.root, "images", image_name)).convert("RGB"))
        ids = sw.rgb_to_ids(np.asarray(Image.open(os.path.join(self.root, "panoptic", pan_name)).convert("RGB")))
        return scene_to_example(sw.Scene(image=image, ids=ids.astype(np.int32), segments=segments))


def collate(batch):
    return (torch.stack([b[0] for b in batch]), [b[1] for b in batch], [b[2] for b in batch])


# ------------------------------------------------------------------------------- schedule etc.

def lr_lambda(args):
    def f(step):
        if step < args.warmup:
            return (step + 1) / args.warmup
        t = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
        return args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))
    return f


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        # detectron2/Mask2Former: no weight decay on norms, biases, embeddings, relative position tables
        if p.ndim <= 1 or "embed" in name or "relative_position_bias_table" in name or "level_embed" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def rng_state():
    s = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        s["cuda"] = torch.cuda.get_rng_state_all()
    return s


def set_rng_state(s):
    torch.set_rng_state(s["torch"])
    np.random.set_state(s["numpy"])
    random.setstate(s["python"])
    if "cuda" in s and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


def save_checkpoint(path, model, optimizer, scheduler, step, args, schedule):
    """`schedule`: [{"from", "to", "steps"}], one span per --steps the checkpoint was trained under
    (a resume with another --steps recomputes the cosine: a warm restart the model card reports)."""
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "step": step, "rng": rng_state(),
                "args": vars(args), "arch": shapes_model.ARCH, "schedule": schedule}, tmp)
    os.replace(tmp, path)


def extend_schedule(schedule, start, step, steps):
    """The spans so far plus this invocation's (start → step under --steps); a resume with the same
    --steps continues the last span."""
    if schedule and schedule[-1]["steps"] == steps and schedule[-1]["to"] == start:
        return schedule[:-1] + [{"from": schedule[-1]["from"], "to": step, "steps": steps}]
    return schedule + [{"from": start, "to": step, "steps": steps}]


# -------------------------------------------------------------------------------------- curve

def draw_curve(log_path, png_path, width=900, height=420):
    steps, loss, vsteps, vloss = [], [], [], []
    with open(log_path) as f:
        for line in f:
            r = json.loads(line)
            if "val_loss" in r:
                vsteps.append(r["step"]); vloss.append(r["val_loss"])
            elif "loss" in r:
                steps.append(r["step"]); loss.append(r["loss"])
    if len(steps) < 2:
        return
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    left, right, top, bottom = 60, width - 20, 30, height - 40
    ys = np.log10(np.maximum(np.array(loss + vloss, np.float64), 1e-6))
    lo, hi = math.floor(ys.min() * 4) / 4, math.ceil(ys.max() * 4) / 4
    hi = max(hi, lo + 0.25)
    s0, s1 = min(steps), max(max(steps), 1)

    def px(step, value):
        x = left + (right - left) * (step - s0) / max(1, s1 - s0)
        y = bottom - (bottom - top) * (math.log10(max(value, 1e-6)) - lo) / (hi - lo)
        return x, y

    d.rectangle([left, top, right, bottom], outline=(0, 0, 0))
    tick = 0.25 if hi - lo > 0.6 else 0.05
    v = lo
    while v <= hi + 1e-9:
        _, y = px(s0, 10 ** v)
        d.line([left, y, right, y], fill=(225, 225, 225))
        d.text((4, y - 6), f"{10 ** v:.3g}", fill=(0, 0, 0))
        v += tick
    for k in range(6):
        st = int(round(s0 + (s1 - s0) * k / 5))
        x, _ = px(st, 1)
        d.line([x, bottom, x, bottom + 4], fill=(0, 0, 0))
        d.text((x - 10, bottom + 6), f"{int(st)}", fill=(0, 0, 0))
    d.point([px(s, l) for s, l in zip(steps, loss)], fill=(170, 190, 230))
    ema, a, pts = None, 0.98 if len(loss) > 200 else 0.8, []
    for s, l in zip(steps, loss):
        ema = l if ema is None else a * ema + (1 - a) * l
        pts.append(px(s, ema))
    d.line(pts, fill=(20, 60, 200), width=2)
    if vloss:
        vp = [px(s, l) for s, l in zip(vsteps, vloss)]
        if len(vp) > 1:
            d.line(vp, fill=(220, 60, 30), width=2)
        for x, y in vp:
            d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(220, 60, 30))
    d.text((left, 8), "train loss (dots, EMA blue), validation loss (red), log scale; x = step", fill=(0, 0, 0))
    img.save(png_path)


# ---------------------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="run directory (outside the repository), e.g. ../shapes-train")
    ap.add_argument("--steps", type=int, default=3200,
                    help="total optimizer steps of the run (the schedule's length); 3200 ≈ 2 h on 2 CPU threads (≈2.3 s/step)")
    ap.add_argument("--stop-after", type=int, default=0, help="stop (and save) after this many steps in this invocation")
    ap.add_argument("--data", default="generate",
                    help="'generate' (train scenes on the fly, default) or a split folder written by shapes_world.py generate")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--min-lr-ratio", type=float, default=0.01)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--clip", type=float, default=0.01, help="max global gradient norm (Mask2Former: 0.01)")
    ap.add_argument("--seed", type=int, default=0, help="model init and loss point sampling")
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--val-every", type=int, default=250)
    ap.add_argument("--val-scenes", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--workers", type=int, default=-1, help="data workers (default: 0 on CPU, 6 on CUDA)")
    ap.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda")
    ap.add_argument("--fresh", action="store_true", help="refuse to resume: fail if OUT/last.pt exists")
    args = ap.parse_args(argv)

    hf_logging.set_verbosity_error()
    device = torch.device("cuda" if (args.device == "auto" and torch.cuda.is_available()) else
                          ("cpu" if args.device == "auto" else args.device))
    torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    workers = args.workers if args.workers >= 0 else (6 if device.type == "cuda" else 0)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "last.pt")
    log_path = os.path.join(args.out, "log.jsonl")

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    model = Mask2FormerForUniversalSegmentation(shapes_model.build_config()).to(device)
    optimizer = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(args))
    step = 0
    schedule = []
    if os.path.exists(ckpt_path):
        if args.fresh:
            sys.exit(f"{ckpt_path} exists and --fresh was given")
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        if ck["arch"] != shapes_model.ARCH:
            sys.exit(f"{ckpt_path} was trained with a different architecture: {ck['arch']}")
        for k in ("data", "batch", "lr", "warmup", "seed", "weight_decay", "min_lr_ratio"):
            if ck["args"].get(k) != getattr(args, k):
                print(f"warning: --{k.replace('_', '-')} {getattr(args, k)} differs from the checkpoint's "
                      f"{ck['args'].get(k)}", file=sys.stderr)
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(args))  # --steps may have grown
        scheduler.load_state_dict(ck["scheduler"])
        # a new LambdaLR has just set every group's lr to lambda(0): put back lambda(step), computed as
        # LambdaLR does (with the current --steps, so a run can be extended)
        for group, base in zip(optimizer.param_groups, scheduler.base_lrs):
            group["lr"] = base * lr_lambda(args)(scheduler.last_epoch)
        step = ck["step"]
        schedule = ck.get("schedule", [])
        set_rng_state(ck["rng"])
        print(f"resumed from {ckpt_path} at step {step}", file=sys.stderr)
        # drop log lines written after the checkpoint (a run killed between two saves)
        if os.path.exists(log_path):
            with open(log_path) as f:
                lines = [l for l in f if json.loads(l)["step"] <= step]
            with open(log_path, "w") as f:
                f.writelines(lines)
    with open(os.path.join(args.out, "train_args.json"), "w") as f:
        json.dump({"args": vars(args), "arch": shapes_model.ARCH, "device": str(device), "workers": workers,
                   "params": sum(p.numel() for p in model.parameters())}, f, indent=2)

    # keep the per-term losses of the final prediction for the log
    last_terms = {}
    original = model.get_loss_dict

    def get_loss_dict(*a, **k):
        d = original(*a, **k)
        last_terms.clear()
        last_terms.update({n: float(v.detach()) for n, v in d.items() if not n[-1].isdigit()})
        return d
    model.get_loss_dict = get_loss_dict

    stop = {"now": False}

    def on_signal(signum, frame):
        print(f"signal {signum}: saving after this step", file=sys.stderr)
        stop["now"] = True
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    start = step
    end = args.steps if args.stop_after <= 0 else min(args.steps, step + args.stop_after)
    loader = torch.utils.data.DataLoader(
        Scenes("train") if args.data == "generate" else PanopticFolder(args.data), batch_size=args.batch, sampler=range(step * args.batch, end * args.batch),
        num_workers=workers, collate_fn=collate, pin_memory=device.type == "cuda",
        persistent_workers=False, prefetch_factor=4 if workers else None,
        # its own generator: iterating a DataLoader draws a seed, which must not come from the global RNG
        # (that would shift the loss's point sampling of a resumed run)
        generator=torch.Generator().manual_seed(args.seed))
    val_batches = None
    model.train()
    log = open(log_path, "a")
    t_last = time.time()
    for pixel_values, masks, classes in loader:
        if step >= end:
            break
        t_data = time.time() - t_last
        pixel_values = pixel_values.to(device, non_blocking=True)
        masks = [m.to(device, non_blocking=True) for m in masks]
        classes = [c.to(device, non_blocking=True) for c in classes]
        out = model(pixel_values=pixel_values, mask_labels=masks, class_labels=classes)
        loss = out.loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip) if args.clip > 0 else torch.tensor(0.0)
        optimizer.step()
        scheduler.step()
        step += 1
        if not math.isfinite(float(loss)):
            sys.exit(f"non-finite loss at step {step}; last checkpoint: {ckpt_path}")
        now = time.time()
        rec = {"step": step, "loss": round(float(loss), 5), "lr": scheduler.get_last_lr()[0],
               "grad_norm": round(float(grad_norm), 5), "sec": round(now - t_last, 3), "data_sec": round(t_data, 3)}
        rec.update({k: round(v, 5) for k, v in last_terms.items()})
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if step % 10 == 0 or step == end:
            print(f"step {step}/{args.steps} loss {rec['loss']:.4f} (ce {rec.get('loss_cross_entropy', 0):.3f} "
                  f"mask {rec.get('loss_mask', 0):.3f} dice {rec.get('loss_dice', 0):.3f}) lr {rec['lr']:.2e} "
                  f"{rec['sec']:.2f}s/step", file=sys.stderr)
        if args.val_every > 0 and (step % args.val_every == 0 or step == args.steps):
            if val_batches is None:
                ex = [scene_to_example(sw.render_scene("val", i)) for i in range(args.val_scenes)]
                val_batches = [collate(ex[i:i + args.batch]) for i in range(0, len(ex), args.batch)]
            model.eval()
            total, n = 0.0, 0
            fork = [torch.cuda.current_device()] if device.type == "cuda" else []
            with torch.no_grad(), torch.random.fork_rng(devices=fork):
                torch.manual_seed(12345)  # the loss samples points at random: fix them for comparability
                for pv, ms, cs in val_batches:
                    o = model(pixel_values=pv.to(device), mask_labels=[m.to(device) for m in ms],
                              class_labels=[c.to(device) for c in cs])
                    total += float(o.loss) * len(ms)
                    n += len(ms)
            model.train()
            log.write(json.dumps({"step": step, "val_loss": round(total / n, 5)}) + "\n")
            log.flush()
            print(f"step {step}: validation loss {total / n:.4f}", file=sys.stderr)
        if step % args.save_every == 0 or step == end or stop["now"]:
            save_checkpoint(ckpt_path, model, optimizer, scheduler, step, args, extend_schedule(schedule, start, step, args.steps))
            draw_curve(log_path, os.path.join(args.out, "curve.png"))
        if stop["now"]:
            break
        t_last = time.time()
    log.close()
    print(f"stopped at step {step}/{args.steps}; checkpoint {ckpt_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
