#!/usr/bin/env python3
"""Checks that the training inputs are what transformers would build, and that a written split
reads back as the scenes it was written from.

    python selfcheck.py [--split-dir ../shapes-data/test] [--count 8]

1. train.scene_to_example(scene).pixel_values == Mask2FormerImageProcessor (the one export.py saves)
   applied to the scene's PNG (max |diff| ≤ 1e-6; the processor does not resample a scene).
2. Its mask_labels / class_labels == the processor's, given segmentation_maps = the panoptic id map
   renumbered 1..n (the processor resizes maps as 8-bit images, so ids above 255 do not survive it)
   and instance_id_to_semantic_id = {k: category id} (same masks, same classes, as sets).
3. With --split-dir: every scene read back from the folder (PNG + segments_info) equals
   render_scene(split, i) (image, ids, segments), and the PNG ids match segments_info's areas and boxes.
Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import shapes_model  # noqa: E402
import shapes_world as sw  # noqa: E402
import train  # noqa: E402


def check_processor(count):
    proc = shapes_model.image_processor()
    bad = 0
    for i in range(count):
        s = sw.render_scene("val", i)
        pv, masks, classes = train.scene_to_example(s)
        # the processor resizes segmentation maps through 8-bit PIL images: renumber the segments 1..n
        compact = np.zeros_like(s.ids)
        mapping = {}
        for k, seg in enumerate(s.segments, start=1):
            compact[s.ids == seg["id"]] = k
            mapping[k] = seg["category_id"]
        enc = proc(images=[Image.fromarray(s.image)], segmentation_maps=[compact],
                   instance_id_to_semantic_id=mapping, return_tensors="pt")
        diff = float((enc["pixel_values"][0] - pv).abs().max())
        ref_masks, ref_classes = enc["mask_labels"][0], enc["class_labels"][0]
        mine = sorted((int(c), m.numpy().astype(bool).tobytes()) for m, c in zip(masks, classes))
        ref = sorted((int(c), m.numpy().astype(bool).tobytes()) for m, c in zip(ref_masks, ref_classes))
        ok = diff <= 1e-6 and tuple(enc["pixel_values"].shape[-2:]) == (sw.HEIGHT, sw.WIDTH) and mine == ref
        bad += not ok
        print(f"val-{i:06d}: pixel max|diff| {diff:.2e}, {len(mine)} masks, processor {len(ref)}: {'ok' if ok else 'FAIL'}")
    return bad


def check_split(root, count):
    with open(os.path.join(root, "panoptic.json")) as f:
        doc = json.load(f)
    split = doc["info"]["split"]
    first = doc["info"]["first_index"]
    bad = 0
    for k, ann in enumerate(doc["annotations"][:count]):
        i = first + k
        s = sw.render_scene(split, i)
        image = np.asarray(Image.open(os.path.join(root, "images", ann["file_name"])).convert("RGB"))
        ids = sw.rgb_to_ids(np.asarray(Image.open(os.path.join(root, "panoptic", ann["file_name"])).convert("RGB")))
        ok = ann["image_id"] == sw.stem(split, i) and np.array_equal(image, s.image) and np.array_equal(ids, s.ids) \
            and ann["segments_info"] == s.segments
        for seg in ann["segments_info"]:
            m = ids == seg["id"]
            ys, xs = np.nonzero(m)
            box = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
            ok &= int(m.sum()) == seg["area"] and box == seg["bbox"]
        ok &= set(np.unique(ids).tolist()) == {seg["id"] for seg in ann["segments_info"]}
        bad += not ok
        print(f"{ann['image_id']}: read back {'ok' if ok else 'FAIL'}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split-dir")
    ap.add_argument("--count", type=int, default=8)
    a = ap.parse_args()
    torch.set_num_threads(1)
    bad = check_processor(a.count)
    if a.split_dir:
        bad += check_split(a.split_dir, a.count)
    print("selfcheck:", "FAIL" if bad else "all ok")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
