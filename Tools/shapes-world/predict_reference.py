#!/usr/bin/env python3
"""Run an exported model on a split with transformers and write predictions in the layout
`maskscope segment --task all` writes, so eval_reference.py reads either the same way.

    python predict_reference.py --model ../shapes-model --split-dir ../shapes-data/test --out ../shapes-pred

Per image (stem = image_id): <stem>.panoptic.png (id = R + 256·G + 256²·B, 0 = no segment) and
<stem>.panoptic.json ({image_id, file_name, segments_info}), <stem>.semantic.png (8-bit class ids),
<stem>.instances.json (COCO instance results, RLE with string counts). Post-processing is
Mask2FormerImageProcessor's with transformers' defaults (threshold 0.5, mask_threshold 0.5,
overlap_mask_area_threshold 0.8; panoptic fuses the stuff classes), at the image's size.

One thread by default: PyTorch's result depends on its thread count, and masked attention can
amplify that. With 2 threads, one of the 500 test scenes (test-000164, step-5821 model) loses a
different set of segments than with 1 thread (26,773 pixels of the panoptic map change), because a
mask-logit near 0 flips which pixels a query may attend to. With 1 thread, transformers and
maskscope differ in 8 panoptic and 23 semantic pixels out of 24.6 M (argmax near-ties).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from pycocotools import mask as mask_util

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import shapes_world as sw  # noqa: E402

from transformers import Mask2FormerForUniversalSegmentation, Mask2FormerImageProcessor  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--split-dir", required=True, help="a split folder with panoptic.json and images/")
    ap.add_argument("--images", help="the images' folder (default: SPLIT_DIR/images)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--mask-threshold", type=float, default=0.5)
    ap.add_argument("--overlap-threshold", type=float, default=0.8)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: see above)")
    a = ap.parse_args(argv)
    hf_logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    model = Mask2FormerForUniversalSegmentation.from_pretrained(a.model).eval()
    proc = Mask2FormerImageProcessor.from_pretrained(a.model)
    with open(os.path.join(a.split_dir, "panoptic.json")) as f:
        doc = json.load(f)
    stuff = {c["id"] for c in doc["categories"] if not c["isthing"]}
    names = model.config.id2label
    os.makedirs(a.out, exist_ok=True)
    images = doc["images"][: a.limit or None]
    for k, im in enumerate(images):
        stem = str(im["id"])
        picture = Image.open(os.path.join(a.images or os.path.join(a.split_dir, "images"), im["file_name"])).convert("RGB")
        size = [(picture.height, picture.width)]
        with torch.no_grad():
            out = model(**proc(images=[picture], return_tensors="pt"))
        pan = proc.post_process_panoptic_segmentation(
            out, threshold=a.threshold, mask_threshold=a.mask_threshold, overlap_mask_area_threshold=a.overlap_threshold,
            label_ids_to_fuse=stuff, target_sizes=size)[0]
        ids = pan["segmentation"].numpy().astype(np.int64)
        ids[ids < 0] = 0
        segments, seen = [], set()
        for s in pan["segments_info"]:
            m = ids == s["id"]
            if not m.any():
                continue
            if s["id"] in seen:
                # transformers' id-reuse quirk (Tools/reference/README.md): two segments share an id in
                # its map; keep the first entry (the pixels cannot be told apart any more)
                print(f"{stem}: transformers reused segment id {s['id']}; merged", file=sys.stderr)
                continue
            seen.add(s["id"])
            ys, xs = np.nonzero(m)
            segments.append({"id": int(s["id"]), "category_id": int(s["label_id"]), "label": names[int(s["label_id"])],
                             "isthing": int(s["label_id"]) not in stuff, "area": int(m.sum()),
                             "bbox": [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)],
                             "iscrowd": 0, "score": float(s["score"])})
        Image.fromarray(sw.ids_to_rgb(ids)).save(os.path.join(a.out, stem + ".panoptic.png"))
        with open(os.path.join(a.out, stem + ".panoptic.json"), "w") as f:
            json.dump({"image_id": stem, "file_name": stem + ".panoptic.png", "segments_info": segments}, f, indent=1)

        sem = proc.post_process_semantic_segmentation(out, target_sizes=size)[0].numpy().astype(np.uint8)
        Image.fromarray(sem).save(os.path.join(a.out, stem + ".semantic.png"))

        inst = proc.post_process_instance_segmentation(
            out, threshold=a.threshold, mask_threshold=a.mask_threshold, overlap_mask_area_threshold=a.overlap_threshold,
            target_sizes=size, return_binary_maps=True)[0]
        results = []
        if inst["segments_info"]:
            maps = inst["segmentation"].numpy().astype(np.uint8)
            for s, m in zip(inst["segments_info"], maps):
                rle = mask_util.encode(np.asfortranarray(m))
                results.append({"image_id": stem, "category_id": int(s["label_id"]), "label": names[int(s["label_id"])],
                                "segmentation": {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")},
                                "score": float(s["score"])})
        with open(os.path.join(a.out, stem + ".instances.json"), "w") as f:
            json.dump(results, f)
        if (k + 1) % 50 == 0:
            print(f"{k + 1}/{len(images)}", file=sys.stderr)
    print(f"{len(images)} predictions -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
