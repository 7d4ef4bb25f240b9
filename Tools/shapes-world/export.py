#!/usr/bin/env python3
"""Write a training checkpoint as a transformers model folder.

    python export.py --checkpoint ../shapes-train/last.pt --out ../shapes-model

OUT gets config.json (id2label / label2id of the shapes-world classes), preprocessor_config.json
(Mask2FormerImageProcessor at the scene size 192x256, size_divisor 32, ImageNet mean/std),
model.safetensors (save_pretrained(safe_serialization=True), F32) and MODEL_CARD.md, filled in
from MODEL_CARD.template.md (metrics left as placeholders unless --metrics JSON from
eval_reference.py is given). It then reloads the folder with from_pretrained and checks that the
logits on a test scene equal the in-memory model's, bit for bit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import shapes_model  # noqa: E402
import shapes_world as sw  # noqa: E402
import train  # noqa: E402

from transformers import Mask2FormerForUniversalSegmentation  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402


def fmt_metrics(m):
    if not m:
        return None
    pq = m["panoptic"]
    lines = ["| metric | all | things | stuff |", "|---|---|---|---|"]
    for k in ("pq", "sq", "rq"):
        lines.append(f"| {k.upper()} | {100 * pq['all'][k]:.2f} | {100 * pq['things'][k]:.2f} | {100 * pq['stuff'][k]:.2f} |")
    lines.append("")
    lines.append(f"Semantic mIoU: {100 * m['semantic']['miou']:.2f}")
    if m.get("instance"):
        lines.append(f"Mask AP (things): {100 * m['instance']['AP']:.2f} (AP50 {100 * m['instance']['AP50']:.2f}, "
                     f"AP75 {100 * m['instance']['AP75']:.2f})")
    lines.append("")
    lines.append("| class | PQ | SQ | RQ | IoU |")
    lines.append("|---|---|---|---|---|")
    for name, r in m["panoptic"]["per_class"].items():
        iou = m["semantic"]["per_class_iou"].get(name)
        lines.append(f"| {name} | {100 * r['pq']:.2f} | {100 * r['sq']:.2f} | {100 * r['rq']:.2f} | "
                     f"{'—' if iou is None else f'{100 * iou:.2f}'} |")
    return "\n".join(lines)


def load_json(path):
    if not path:
        return None
    with open(path) as f:
        return json.load(f)


def fmt_maskscope(ours, crosscheck):
    """maskscope eval's figures (percent) and, if given, how far eval_reference.py's figures on the
    predictions maskscope saved are from them."""
    if not ours:
        return "*(placeholder: run `maskscope eval` on the test split and re-export with --maskscope-metrics)*"
    p, s, ap = ours["panoptic"], ours["semantic"], ours["mask_ap"]
    text = (f"`maskscope eval` (Swift inference, Swift metrics) on the same scenes: **PQ {p['all']['pq']:.2f}** "
            f"(things {p['things']['pq']:.2f}, stuff {p['stuff']['pq']:.2f}), SQ {p['all']['sq']:.2f}, RQ {p['all']['rq']:.2f}, "
            f"**mIoU {s['miou']:.2f}**, mask AP {ap['ap']:.2f} (AP50 {ap['ap50']:.2f}, AP75 {ap['ap75']:.2f}).")
    if crosscheck:
        pairs = [(p[g][k], 100 * crosscheck["panoptic"][g][k]) for g in ("all", "things", "stuff") for k in ("pq", "sq", "rq")]
        pairs += [(s["miou"], 100 * crosscheck["semantic"]["miou"]), (ap["ap"], 100 * crosscheck["instance"]["AP"]),
                  (ap["ap50"], 100 * crosscheck["instance"]["AP50"]), (ap["ap75"], 100 * crosscheck["instance"]["AP75"])]
        worst = max(abs(a - b) for a, b in pairs)
        text += (f" `eval_reference.py` (panopticapi formula, pycocotools) on the predictions maskscope saved gives the "
                 f"same figures: largest difference {worst:.1e} percentage points over PQ/SQ/RQ (all, things, stuff), "
                 f"mIoU and AP/AP50/AP75.")
    return text


def schedule_history(checkpoint):
    """The --steps spans the checkpoint was trained under (train.py records them): each change of
    --steps recomputes the cosine, so it is a warm restart worth stating on the card."""
    spans = checkpoint.get("schedule", [])
    if len(spans) < 2:
        return ""
    return (" The run was stopped and resumed with other `--steps` (the cosine is recomputed from the step"
            " count, so each change is a warm restart): steps "
            + ", ".join(f"{s['from']:,}–{s['to']:,} of a {s['steps']:,}-step schedule" for s in spans) + ".")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="last.pt written by train.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--metrics", help="JSON written by eval_reference.py on the test split (fills the card)")
    ap.add_argument("--maskscope-metrics", help="JSON written by `maskscope eval --json` on the test split")
    ap.add_argument("--maskscope-crosscheck", help="JSON written by eval_reference.py on maskscope's --save-predictions")
    a = ap.parse_args(argv)
    hf_logging.set_verbosity_error()
    torch.set_num_threads(2)

    ck = torch.load(a.checkpoint, map_location="cpu", weights_only=False)
    if ck["arch"] != shapes_model.ARCH:
        sys.exit(f"{a.checkpoint} has architecture {ck['arch']}, this script builds {shapes_model.ARCH}")
    config = shapes_model.build_config(ck["arch"])
    model = Mask2FormerForUniversalSegmentation(config)
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(a.out, exist_ok=True)
    model.save_pretrained(a.out, safe_serialization=True)
    shapes_model.image_processor().save_pretrained(a.out)

    # reload and compare
    scene = sw.render_scene("test", 0)
    pv = train.scene_to_example(scene)[0][None]
    reloaded = Mask2FormerForUniversalSegmentation.from_pretrained(a.out).eval()
    with torch.no_grad():
        o1, o2 = model(pixel_values=pv), reloaded(pixel_values=pv)
    same = torch.equal(o1.class_queries_logits, o2.class_queries_logits) and \
        torch.equal(o1.masks_queries_logits, o2.masks_queries_logits)
    if not same:
        sys.exit("the reloaded model's logits differ from the trained model's")
    with open(os.path.join(a.out, "config.json")) as f:
        saved = json.load(f)
    assert saved["id2label"] == {str(k): v for k, v in shapes_model.id2label().items()}

    params = sum(p.numel() for p in model.parameters())
    size = os.path.getsize(os.path.join(a.out, "model.safetensors"))
    args = ck["args"]
    with open(os.path.join(HERE, "MODEL_CARD.template.md")) as f:
        card = f.read()
    things = ", ".join(c["name"] for c in sw.CATEGORIES if c["isthing"])
    stuff = ", ".join(c["name"] for c in sw.CATEGORIES if not c["isthing"])
    arch = shapes_model.ARCH
    reference_metrics = load_json(a.metrics)
    metrics = fmt_metrics(reference_metrics)
    fill = {
        "STEP": str(ck["step"]), "SCHEDULE": schedule_history(ck),
        "STEPS": str(args["steps"]), "BATCH": str(args["batch"]), "LR": f"{args['lr']:g}",
        "WARMUP": str(args["warmup"]), "WEIGHT_DECAY": f"{args['weight_decay']:g}", "CLIP": f"{args['clip']:g}",
        "SEED": str(args["seed"]), "DATA": args.get("data", "generate"),
        "DATA_ARG": "" if args.get("data", "generate") == "generate" else f" --data {args['data']}",
        "PARAMS": f"{params:,}", "SIZE_MB": f"{size / 1e6:.1f}", "THINGS": things, "STUFF": stuff,
        "HEIGHT": str(sw.HEIGHT), "WIDTH": str(sw.WIDTH),
        "ARCH": "\n".join(f"| `{k}` | {v} |" for k, v in arch.items()),
        "DATE": datetime.date.today().isoformat(),
        "METRICS": metrics or "*(placeholder: run eval_reference.py on the test split and re-export with --metrics)*",
        "MASKSCOPE": fmt_maskscope(load_json(a.maskscope_metrics), load_json(a.maskscope_crosscheck)),
        "TEST_SCENES": str((reference_metrics or {}).get("images", "?")),
    }
    for k, v in fill.items():
        card = card.replace("{{" + k + "}}", v)
    with open(os.path.join(a.out, "MODEL_CARD.md"), "w") as f:
        f.write(card)
    print(f"{a.out}: step {ck['step']}, {params:,} parameters, model.safetensors {size:,} bytes; "
          f"reloaded logits identical")


if __name__ == "__main__":
    main()
