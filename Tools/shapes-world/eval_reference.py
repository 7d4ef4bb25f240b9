#!/usr/bin/env python3
"""Reference metrics for shapes world (and any COCO panoptic ground truth): PQ / SQ / RQ, semantic
mIoU and mask AP. Maskscope's `maskscope eval` must reproduce every number to 1e-4.

    python eval_reference.py --gt-json DATA/test/panoptic.json \\
        --pred-panoptic PRED_DIR [--pred-semantic PRED_DIR] [--pred-instances PRED_DIR] --out metrics.json

Inputs
  --gt-json     COCO panoptic JSON (images, annotations with segments_info, categories with isthing);
                PNGs in --gt-dir (default: the folder `panoptic` beside the JSON).
  --pred-panoptic
                either a COCO panoptic JSON with "annotations" (PNGs in --pred-dir, default: the JSON
                path without ".json", as panopticapi) or a folder of per-image JSON objects
                {image_id, file_name, segments_info} with the PNGs beside them (what `maskscope segment`
                writes: <stem>.panoptic.json + <stem>.panoptic.png). Predictions are matched to the ground
                truth by image_id, compared as strings.
  --pred-semantic
                optional folder of 8-/16-bit class-id PNGs <image_id>.semantic.png (or <image_id>.png).
                Without it the semantic map is derived from the panoptic prediction (VOID = no class).
  --pred-instances
                optional COCO instance results (a JSON list, or a folder whose *.json files holding lists
                are concatenated in sorted file-name order): [{image_id, category_id, segmentation: RLE
                with string counts, score}, ...].

Panoptic quality: the formula of cocodataset/panopticapi `panopticapi/evaluation.py`
(`pq_compute_single_core` + `PQStat.pq_average`), reimplemented here:
  * a predicted segment's area is its pixel count in the PNG (the JSON's area is ignored); a ground-truth
    segment's area is the JSON's `area`. Every non-zero id in a predicted PNG must be in segments_info and
    vice versa, and its category must exist (else an error, as panopticapi).
  * a (gt, pred) pair of the same category, gt not crowd, matches when
    IoU = |g∩p| / (|p| + |g| − |g∩p| − |VOID∩p|) > 0.5 (VOID = gt id 0); such matches are unique.
  * unmatched non-crowd gt → FN. Unmatched pred → FP, unless (|VOID∩p| + |crowd(cat)∩p|) / |p| > 0.5, where
    crowd(cat) is the (last-listed) crowd gt segment of that category in the image.
  * per class: PQ = ΣIoU / (TP + FP/2 + FN/2), SQ = ΣIoU / TP (0 if TP = 0), RQ = TP / (TP + FP/2 + FN/2);
    classes with TP + FP + FN = 0 are reported as 0 and left out of the averages; All / Things / Stuff are
    plain means over the remaining classes (n = how many). panopticapi divides by zero when n = 0; here
    the averages are then 0 with n = 0.
Semantic: per-pixel confusion over pixels whose gt is not VOID (gt class = the category of the gt
segment, crowd included); a VOID prediction counts against the gt class. IoU_c = TP / (GT + PRED − TP);
mIoU = mean over classes with GT + PRED > 0 (equal to detectron2's SemSegEvaluator and mmseg's).
Mask AP: pycocotools COCOeval(iouType="segm") over the thing categories. The ground truth is made from
the panoptic ground truth: one annotation per thing segment (RLE of its pixels, area = JSON area, bbox =
JSON bbox, iscrowd as given). Image ids become 1..N in the order of the gt JSON's "images"; results of
stuff categories are dropped. COCOeval's stable sort by score breaks ties in that image order, then in
results-file order.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import json
import os
import sys
from collections import defaultdict

import numpy as np
from PIL import Image

OFFSET = 256 * 256 * 256
VOID = 0


def read_ids(path):
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint32)
    return a[..., 0] + 256 * a[..., 1] + 256 * 256 * a[..., 2]


# -------------------------------------------------------------------------------- inputs

def load_pred_panoptic(path, pred_dir):
    """-> {image_id (str): (annotation, png folder)}"""
    out = {}
    if os.path.isdir(path):
        for jp in sorted(glob.glob(os.path.join(path, "*.json"))):
            with open(jp) as f:
                doc = json.load(f)
            anns = doc["annotations"] if isinstance(doc, dict) and "annotations" in doc else [doc]
            for ann in anns:
                if isinstance(ann, dict) and "segments_info" in ann:
                    key = str(ann["image_id"])
                    if key in out:
                        raise ValueError(f"two predictions for image {key}")
                    out[key] = (ann, path)
    else:
        with open(path) as f:
            doc = json.load(f)
        folder = pred_dir or (path[:-5] if path.endswith(".json") else path)
        for ann in doc["annotations"]:
            out[str(ann["image_id"])] = (ann, folder)
    return out


def load_instances(path):
    if os.path.isdir(path):
        results = []
        for jp in sorted(glob.glob(os.path.join(path, "*.json"))):
            with open(jp) as f:
                doc = json.load(f)
            if isinstance(doc, list):
                results.extend(doc)
        return results
    with open(path) as f:
        return json.load(f)


# ----------------------------------------------------------------------------- panoptic

class Stat:
    __slots__ = ("iou", "tp", "fp", "fn")

    def __init__(self):
        self.iou, self.tp, self.fp, self.fn = 0.0, 0, 0, 0


def pq_image(pan_gt, pan_pred, gt_ann, pred_ann, categories, stats):
    gt_segms = {el["id"]: dict(el) for el in gt_ann["segments_info"]}
    pred_segms = {el["id"]: dict(el) for el in pred_ann["segments_info"]}
    if len(pred_segms) != len(pred_ann["segments_info"]):
        raise KeyError(f"image {gt_ann['image_id']}: duplicate segment ids in the prediction's segments_info")

    pred_left = set(pred_segms)
    labels, counts = np.unique(pan_pred, return_counts=True)
    for label, count in zip(labels.tolist(), counts.tolist()):
        if label not in pred_segms:
            if label == VOID:
                continue
            raise KeyError(f"image {gt_ann['image_id']}: segment {label} is in the PNG, not in segments_info")
        pred_segms[label]["area"] = count
        pred_left.remove(label)
        if pred_segms[label]["category_id"] not in categories:
            raise KeyError(f"image {gt_ann['image_id']}: segment {label} has unknown category "
                           f"{pred_segms[label]['category_id']}")
    if pred_left:
        raise KeyError(f"image {gt_ann['image_id']}: segments {sorted(pred_left)} are in segments_info, not in the PNG")

    joint = pan_gt.astype(np.uint64) * OFFSET + pan_pred.astype(np.uint64)
    labels, counts = np.unique(joint, return_counts=True)
    inter = {(int(l // OFFSET), int(l % OFFSET)): int(c) for l, c in zip(labels.tolist(), counts.tolist())}

    gt_matched, pred_matched = set(), set()
    for (g, p), n in inter.items():
        if g not in gt_segms or p not in pred_segms:
            continue
        if gt_segms[g]["iscrowd"] == 1:
            continue
        if gt_segms[g]["category_id"] != pred_segms[p]["category_id"]:
            continue
        union = pred_segms[p]["area"] + gt_segms[g]["area"] - n - inter.get((VOID, p), 0)
        iou = n / union
        if iou > 0.5:
            st = stats[gt_segms[g]["category_id"]]
            st.tp += 1
            st.iou += iou
            gt_matched.add(g)
            pred_matched.add(p)

    crowd = {}
    for g, info in gt_segms.items():
        if g in gt_matched:
            continue
        if info["iscrowd"] == 1:
            crowd[info["category_id"]] = g
            continue
        stats[info["category_id"]].fn += 1
    for p, info in pred_segms.items():
        if p in pred_matched:
            continue
        n = inter.get((VOID, p), 0)
        if info["category_id"] in crowd:
            n += inter.get((crowd[info["category_id"]], p), 0)
        if n / info["area"] > 0.5:
            continue
        stats[info["category_id"]].fp += 1


def pq_average(stats, categories, isthing):
    pq = sq = rq = 0.0
    n = 0
    per_class = {}
    for cid, cat in categories.items():
        if isthing is not None and (cat["isthing"] == 1) != isthing:
            continue
        st = stats[cid]
        if st.tp + st.fp + st.fn == 0:
            per_class[cid] = {"pq": 0.0, "sq": 0.0, "rq": 0.0}
            continue
        n += 1
        d = st.tp + 0.5 * st.fp + 0.5 * st.fn
        r = {"pq": st.iou / d, "sq": st.iou / st.tp if st.tp else 0.0, "rq": st.tp / d}
        per_class[cid] = r
        pq += r["pq"]; sq += r["sq"]; rq += r["rq"]
    if n == 0:
        return {"pq": 0.0, "sq": 0.0, "rq": 0.0, "n": 0}, per_class
    return {"pq": pq / n, "sq": sq / n, "rq": rq / n, "n": n}, per_class


# ----------------------------------------------------------------------------- semantic

def semantic_from_panoptic(ids, segments, fill):
    out = np.full(ids.shape, fill, np.int64)
    for s in segments:
        out[ids == s["id"]] = s["category_id"]
    return out


# ------------------------------------------------------------------------------------ AP

def mask_ap(gt_doc, gt_dir, results, categories):
    from pycocotools import mask as mask_util
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    thing_ids = sorted(cid for cid, c in categories.items() if c["isthing"] == 1)
    index = {str(im["id"]): k + 1 for k, im in enumerate(gt_doc["images"])}
    sizes = {str(im["id"]): (im["height"], im["width"]) for im in gt_doc["images"]}
    gt = {"images": [{"id": index[str(im["id"])], "height": im["height"], "width": im["width"],
                      "file_name": im["file_name"]} for im in gt_doc["images"]],
          "categories": [{"id": cid, "name": categories[cid]["name"]} for cid in thing_ids], "annotations": []}
    for ann in gt_doc["annotations"]:
        ids = read_ids(os.path.join(gt_dir, ann["file_name"]))
        for s in ann["segments_info"]:
            if s["category_id"] not in thing_ids:
                continue
            rle = mask_util.encode(np.asfortranarray((ids == s["id"]).astype(np.uint8)))
            rle["counts"] = rle["counts"].decode("ascii")
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": index[str(ann["image_id"])],
                                      "category_id": s["category_id"], "segmentation": rle, "area": s["area"],
                                      "bbox": s["bbox"], "iscrowd": s.get("iscrowd", 0)})
    dts = []
    for r in results:
        key = str(r["image_id"])
        if key not in index:
            raise KeyError(f"instance result for unknown image {key}")
        if r["category_id"] not in thing_ids:
            continue
        seg = dict(r["segmentation"])
        if tuple(seg["size"]) != sizes[key]:
            raise ValueError(f"image {key}: RLE size {seg['size']} != image size {sizes[key]}")
        dts.append({"image_id": index[key], "category_id": r["category_id"], "segmentation": seg,
                    "score": float(r["score"])})
    with contextlib.redirect_stdout(io.StringIO()) as log:
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
        if not dts:
            return {k: 0.0 for k in names} | {"per_class_AP": {}, "detections": 0, "note": "no thing detections"}
        coco_dt = coco_gt.loadRes(dts)
        ev = COCOeval(coco_gt, coco_dt, iouType="segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    print(log.getvalue(), file=sys.stderr)
    out = {k: float(v) for k, v in zip(names, ev.stats)}
    per_class = {}
    precision = ev.eval["precision"]  # [T, R, K, A, M]
    for k, cid in enumerate(ev.params.catIds):
        p = precision[:, :, k, 0, -1]
        p = p[p > -1]
        per_class[categories[cid]["name"]] = float(p.mean()) if p.size else -1.0
    out["per_class_AP"] = per_class
    out["detections"] = len(dts)
    out["gt_instances"] = len(gt["annotations"])
    return out


# ---------------------------------------------------------------------------------- main

def evaluate(gt_json, gt_dir, pred_panoptic, pred_dir=None, pred_semantic=None, pred_instances=None):
    with open(gt_json) as f:
        gt_doc = json.load(f)
    gt_dir = gt_dir or os.path.join(os.path.dirname(os.path.abspath(gt_json)), "panoptic")
    categories = {c["id"]: c for c in gt_doc["categories"]}
    cat_ids = sorted(categories)
    k_index = {cid: k for k, cid in enumerate(cat_ids)}
    preds = load_pred_panoptic(pred_panoptic, pred_dir)

    stats = defaultdict(Stat)
    K = len(cat_ids)
    confusion = np.zeros((K, K + 1), np.int64)  # rows: gt class, columns: predicted class (+ VOID/unknown)
    lut_size = max(cat_ids) + 2
    for gt_ann in gt_doc["annotations"]:
        key = str(gt_ann["image_id"])
        if key not in preds:
            raise KeyError(f"no prediction for image {key}")
        pred_ann, folder = preds[key]
        pan_gt = read_ids(os.path.join(gt_dir, gt_ann["file_name"]))
        pan_pred = read_ids(os.path.join(folder, pred_ann["file_name"]))
        if pan_gt.shape != pan_pred.shape:
            raise ValueError(f"image {key}: prediction {pan_pred.shape} != ground truth {pan_gt.shape}")
        pq_image(pan_gt, pan_pred, gt_ann, pred_ann, categories, stats)

        sem_gt = semantic_from_panoptic(pan_gt, gt_ann["segments_info"], -1)
        if pred_semantic:
            cands = [os.path.join(pred_semantic, key + ".semantic.png"), os.path.join(pred_semantic, key + ".png")]
            sp = next((c for c in cands if os.path.exists(c)), None)
            if sp is None:
                raise FileNotFoundError(f"no semantic prediction for image {key} in {pred_semantic}")
            sem_pred = np.asarray(Image.open(sp), dtype=np.int64)
            if sem_pred.shape != sem_gt.shape:
                raise ValueError(f"image {key}: semantic prediction {sem_pred.shape} != {sem_gt.shape}")
        else:
            sem_pred = semantic_from_panoptic(pan_pred, pred_ann["segments_info"], -1)
        valid = sem_gt >= 0
        lut = np.full(lut_size, K, np.int64)
        for cid in cat_ids:
            lut[cid] = k_index[cid]
        gv = lut[sem_gt[valid]]
        pv = sem_pred[valid]
        pv = np.where((pv >= 0) & (pv < lut_size - 1), lut[np.clip(pv, 0, lut_size - 1)], K)
        confusion += np.bincount(gv * (K + 1) + pv, minlength=K * (K + 1)).reshape(K, K + 1)

    result = {"images": len(gt_doc["annotations"])}
    panoptic = {}
    for name, isthing in (("all", None), ("things", True), ("stuff", False)):
        panoptic[name], per_class = pq_average(stats, categories, isthing)
        if name == "all":
            panoptic["per_class"] = {
                categories[cid]["name"]: dict(per_class[cid], id=cid, isthing=categories[cid]["isthing"],
                                              tp=stats[cid].tp, fp=stats[cid].fp, fn=stats[cid].fn,
                                              iou_sum=stats[cid].iou)
                for cid in cat_ids}
    result["panoptic"] = panoptic

    tp = np.diag(confusion[:, :K]).astype(np.float64)
    gt_px = confusion.sum(1).astype(np.float64)
    pred_px = confusion[:, :K].sum(0).astype(np.float64)
    union = gt_px + pred_px - tp
    iou = {categories[cid]["name"]: (float(tp[k] / union[k]) if union[k] > 0 else None) for k, cid in enumerate(cat_ids)}
    valid_iou = [v for v in iou.values() if v is not None]
    result["semantic"] = {
        "source": "semantic PNGs" if pred_semantic else "panoptic prediction",
        "miou": float(np.mean(valid_iou)) if valid_iou else 0.0, "classes": len(valid_iou),
        "pixel_accuracy": float(tp.sum() / gt_px.sum()) if gt_px.sum() else 0.0,
        "per_class_iou": iou,
        "confusion": {"rows": "gt class (category order)", "columns": "predicted class, then VOID",
                      "matrix": confusion.tolist()},
    }
    if pred_instances:
        result["instance"] = mask_ap(gt_doc, gt_dir, load_instances(pred_instances), categories)
    return result


def gt_as_instances(gt_json, gt_dir=None):
    """The ground truth's thing segments as instance results with score 1 (for self-tests)."""
    from pycocotools import mask as mask_util
    with open(gt_json) as f:
        doc = json.load(f)
    gt_dir = gt_dir or os.path.join(os.path.dirname(os.path.abspath(gt_json)), "panoptic")
    things = {c["id"] for c in doc["categories"] if c["isthing"] == 1}
    out = []
    for ann in doc["annotations"]:
        ids = read_ids(os.path.join(gt_dir, ann["file_name"]))
        for s in ann["segments_info"]:
            if s["category_id"] in things:
                rle = mask_util.encode(np.asfortranarray((ids == s["id"]).astype(np.uint8)))
                out.append({"image_id": ann["image_id"], "category_id": s["category_id"],
                            "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
                            "score": 1.0})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gt-json", required=True)
    ap.add_argument("--gt-dir")
    ap.add_argument("--pred-panoptic", help="COCO panoptic JSON, or a folder of per-image JSON + PNG")
    ap.add_argument("--pred-dir", help="PNG folder for a --pred-panoptic JSON file")
    ap.add_argument("--pred-semantic")
    ap.add_argument("--pred-instances")
    ap.add_argument("--out", help="write the metrics JSON here (default: stdout)")
    ap.add_argument("--write-gt-instances", metavar="PATH",
                    help="only write the ground truth's things as instance results (score 1) to PATH and exit")
    a = ap.parse_args(argv)
    if a.write_gt_instances:
        with open(a.write_gt_instances, "w") as f:
            json.dump(gt_as_instances(a.gt_json, a.gt_dir), f)
        return
    if not a.pred_panoptic:
        ap.error("--pred-panoptic is required")
    result = evaluate(a.gt_json, a.gt_dir, a.pred_panoptic, a.pred_dir, a.pred_semantic, a.pred_instances)
    text = json.dumps(result, indent=1) + "\n"
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    p = result["panoptic"]
    print(f"PQ {100 * p['all']['pq']:.3f} (things {100 * p['things']['pq']:.3f}, stuff {100 * p['stuff']['pq']:.3f})  "
          f"SQ {100 * p['all']['sq']:.3f}  RQ {100 * p['all']['rq']:.3f}  mIoU {100 * result['semantic']['miou']:.3f}"
          + (f"  mask AP {100 * result['instance']['AP']:.3f}" if "instance" in result else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
