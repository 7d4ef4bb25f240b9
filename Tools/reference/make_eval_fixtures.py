#!/usr/bin/env python3
"""Fixtures that check `maskscope eval` against the reference metrics (panopticapi PQ formula,
detectron2-style mIoU, pycocotools COCOeval mask AP), as implemented in Tools/shapes-world/eval_reference.py.

    python Tools/reference/make_eval_fixtures.py          # writes Tests/Fixtures/eval/

Ground truth: 4 shapes-world test scenes (Tools/shapes-world/shapes_world.py), one thing segment
turned into a crowd region. Predictions: the ground truth deliberately damaged, seeded, so every rule
of the metrics is exercised: segments shifted (IoU above and below 0.5), dropped (false negatives),
relabelled (FP + FN), split, spurious segments on VOID (forgiven) and elsewhere (false positives),
semantic pixels left without a class; instance masks shifted with random scores, duplicates, a
score tie across images, detections on the crowd region. Then both implementations score the same
files; the Swift test compares every figure to 1e-4.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tools" / "shapes-world"))
import eval_reference  # noqa: E402
import shapes_world  # noqa: E402
from pycocotools import mask as mask_util  # noqa: E402

OUT = REPO / "Tests" / "Fixtures" / "eval"
SEED = 20251121
SCENES = 4


def write_png(path: Path, array: np.ndarray) -> None:
    Image.fromarray(array).save(path, optimize=True)


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "gt" / "panoptic").mkdir(parents=True)
    (OUT / "pred").mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    categories = shapes_world.categories_json()
    thing = {c["id"] for c in categories if c["isthing"]}
    gt = {"images": [], "annotations": [], "categories": categories}
    tie_score = 0.625  # the same score in two images: COCOeval breaks the tie by image order

    for index in range(SCENES):
        scene = shapes_world.render_scene("test", index)
        stem = shapes_world.stem("test", index)
        ids = scene.ids.copy()
        segments = [dict(s) for s in scene.segments]
        if index == 1:  # one thing becomes a crowd region
            for s in segments:
                if s["category_id"] in thing:
                    s["iscrowd"] = 1
                    break
        h, w = ids.shape
        write_png(OUT / "gt" / "panoptic" / f"{stem}.png", shapes_world.ids_to_rgb(ids))
        gt["images"].append({"id": stem, "file_name": f"{stem}.png", "height": h, "width": w})
        gt["annotations"].append({"image_id": stem, "file_name": f"{stem}.png", "segments_info": segments})

        # Panoptic prediction: damage each ground-truth segment in one seeded way.
        pred = np.zeros_like(ids)
        pred_segments = []
        next_id = 1
        for s in segments:
            mask = ids == s["id"]
            fate = rng.choice(["keep", "shift", "shift_far", "drop", "relabel", "split"], p=[0.35, 0.25, 0.1, 0.1, 0.1, 0.1])
            category = s["category_id"]
            if fate == "drop":
                continue
            if fate in ("shift", "shift_far"):
                d = 3 if fate == "shift" else 25
                mask = np.roll(mask, (int(rng.integers(-d, d + 1)), int(rng.integers(-d, d + 1))), axis=(0, 1))
            if fate == "relabel":
                category = int(rng.choice([c["id"] for c in categories if c["id"] != category]))
            parts = [mask]
            if fate == "split":
                cut = np.zeros_like(mask)
                cut[:, : w // 2] = True
                parts = [mask & cut, mask & ~cut]
            for part in parts:
                part = part & (pred == 0)
                if part.sum() == 0:
                    continue
                pred[part] = next_id
                pred_segments.append({"id": next_id, "category_id": int(category), "iscrowd": 0})
                next_id += 1
        # A spurious square: on VOID where the scene has any, else somewhere arbitrary.
        y, x = int(rng.integers(0, h - 20)), int(rng.integers(0, w - 20))
        block = np.zeros_like(ids, dtype=bool)
        block[y:y + 20, x:x + 20] = True
        pred[block] = next_id
        pred_segments.append({"id": next_id, "category_id": int(rng.choice(sorted(thing))), "iscrowd": 0})
        pred_segments = [s for s in pred_segments if (pred == s["id"]).any()]
        write_png(OUT / "pred" / f"{stem}.panoptic.png", shapes_world.ids_to_rgb(pred))
        (OUT / "pred" / f"{stem}.panoptic.json").write_text(json.dumps(
            {"image_id": stem, "file_name": f"{stem}.panoptic.png", "segments_info": pred_segments}, sort_keys=True))

        # Semantic prediction: the damaged panoptic's categories, 3% of pixels without a class (65535).
        semantic = np.full(ids.shape, 65535, np.uint16)
        for s in pred_segments:
            semantic[pred == s["id"]] = s["category_id"]
        semantic[rng.random(ids.shape) < 0.03] = 65535
        write_png(OUT / "pred" / f"{stem}.semantic.png", semantic)

        # Instances: ground-truth things shifted, random scores, a duplicate, a false positive.
        results = []
        for s in segments:
            if s["category_id"] not in thing:
                continue
            mask = ids == s["id"]
            for copy in range(2 if rng.random() < 0.3 else 1):
                shift = int(rng.integers(-6, 7)), int(rng.integers(-6, 7))
                shifted = np.roll(mask, shift, axis=(0, 1))
                score = tie_score if (index in (0, 2) and not results) else float(np.float32(rng.random()))
                results.append((shifted, s["category_id"], score))
        fp = np.zeros_like(ids, dtype=bool)
        fp[10:40, 10:40] = True
        results.append((fp, int(rng.choice(sorted(thing))), float(np.float32(rng.random()))))
        entries = []
        for mask, category, score in results:
            rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
            entries.append({"image_id": stem, "category_id": int(category), "score": score,
                            "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")}})
        (OUT / "pred" / f"{stem}.instances.json").write_text(json.dumps(entries, sort_keys=True))

    (OUT / "gt" / "panoptic.json").write_text(json.dumps(gt, sort_keys=True))
    result = eval_reference.evaluate(str(OUT / "gt" / "panoptic.json"), str(OUT / "gt" / "panoptic"),
                                      str(OUT / "pred"), pred_semantic=str(OUT / "pred"), pred_instances=str(OUT / "pred"))
    (OUT / "reference.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    sys.path.insert(0, str(REPO / "Tools" / "reference"))
    import make_fixtures  # the one manifest writer, covering every file under Tests/Fixtures
    make_fixtures.write_manifest(OUT.parent)
    p, s, a = result["panoptic"]["all"], result["semantic"], result["instance"]
    print(f"PQ {100 * p['pq']:.3f} SQ {100 * p['sq']:.3f} RQ {100 * p['rq']:.3f} mIoU {100 * s['miou']:.3f} "
          f"AP {100 * a['AP']:.3f} AP50 {100 * a['AP50']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
