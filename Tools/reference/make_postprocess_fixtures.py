#!/usr/bin/env python3
"""Write the post-processing fixtures under Tests/Fixtures/postprocess/ (transformers 4.57.6, CPU, float32).

    Tools/reference/make_postprocess_fixtures.py [--fixtures Tests/Fixtures]

The model is NOT run. For each committed reference case, `class_logits.9` [Q, K+1] and
`mask_logits.9` [Q, h, w] are read from reference/<case>.safetensors, wrapped in a
`Mask2FormerForUniversalSegmentationOutput` (batch 1) and fed to the real post-processors of a
`Mask2FormerImageProcessor`:

1. post_process_semantic_segmentation at the original image size and at 384x384 (target_sizes=None),
   plus the per-pixel margin (best - second-best class score) after the same interpolate.
2. post_process_instance_segmentation(return_binary_maps=True) with a lowered threshold, at the
   image size and at 384x384; each instance's query index is recomputed with the same topk.
3. COCO compressed RLE (pycocotools) of every kept instance of the image-size run, plus hand-made
   masks in rle.safetensors / rle.json.
4. post_process_panoptic_segmentation with lowered thresholds and a fuse set, at the image size and
   at 384x384, plus the fate of every query from an instrumented copy of compute_segments.
5. synthetic.safetensors / synthetic.json: hand-built logits, one run where transformers' panoptic
   id-reuse quirk happens and one that shows every query fate.

Every transformers result is recomputed here step by step and asserted equal; any mismatch raises
(exit status 1). Deterministic: a second run writes identical bytes (JSON with sorted keys).
Finally MANIFEST.sha256 is rewritten (same function as make_fixtures.py, all fixture files).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from pycocotools import mask as coco_mask
from safetensors import safe_open
from transformers import Mask2FormerImageProcessor
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput
from transformers.utils import logging as hf_logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
import m2f_ref  # noqa: E402
from make_fixtures import REPO, SEED, compact_json, write_manifest  # noqa: E402

POSTPROCESS_FORMAT_VERSION = "1"
NEAR_TIE = 1e-5  # semantic margin / panoptic owner gap below which a Swift float difference could flip a pixel
POST_SIZE = 384  # transformers' fixed first resize

# Per case: the thresholds chosen so that random weights still give a few instances/segments.
# Random tiny models give class scores of 0.2-0.5 and instance scores of 0.17-0.35.
# Panoptic: mask_threshold is compared with the *score-weighted* probabilities (prob_k *= score_k
# happens before check_segment_validity), so with every class score below 0.5 the default
# mask_threshold 0.5 gives original_area = 0 and removes every segment. It is lowered here.
CASES = {
    "tiny-w7-scene-120x90": {
        "with_384": True,  # the only case with 384x384 outputs (size budget: ~0.6 MB per I32 map)
        "instance_threshold": 0.305,
        "panoptic": [
            # name, threshold, mask_threshold, overlap, fuse
            ("target", 0.42, 0.40, 0.8, [0, 1], "target"),
            ("384", 0.42, 0.40, 0.8, [0, 1], None),
            ("nofuse.target", 0.42, 0.40, 0.8, [], "target"),
        ],
    },
    "tiny-w12-scene-200x150": {
        "with_384": False,
        "instance_threshold": 0.185,
        "panoptic": [
            ("target", 0.27, 0.22, 0.8, [0, 1], "target"),
            ("fuse3.target", 0.27, 0.22, 0.8, [3], "target"),
        ],
    },
    "tiny-w7-random-77x101": {
        "with_384": False,
        "instance_threshold": 0.305,
        "panoptic": [
            ("target", 0.44, 0.40, 0.8, [0, 1], "target"),
            ("nofuse.target", 0.44, 0.40, 0.8, [], "target"),
        ],
    },
}
RANDOM_CASE_SIZE_HW = (77, 101)  # the random case has no image: its pixel size stands in


class CheckFailed(AssertionError):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise CheckFailed(what)


def make_outputs(class_logits: torch.Tensor, mask_logits: torch.Tensor):
    return Mask2FormerForUniversalSegmentationOutput(
        class_queries_logits=class_logits[None].contiguous(), masks_queries_logits=mask_logits[None].contiguous())


def resize_384(mask_logits: torch.Tensor) -> torch.Tensor:
    """[Q,h,w] -> [Q,384,384], the exact call all three post-processors make (on the batch)."""
    return F.interpolate(mask_logits[None], size=(POST_SIZE, POST_SIZE), mode="bilinear", align_corners=False)[0]


def f32(x) -> float:
    """A float32 value as the double that represents it exactly (JSON round-trips it)."""
    return float(np.float32(x))


# --------------------------------------------------------------------------------------------------
# Semantic


def semantic(proc, out, class_logits, mask_logits, target_hw):
    """Returns (tensors, json) for the semantic map at target_hw (or 384 with None)."""
    got = proc.post_process_semantic_segmentation(out, target_sizes=None if target_hw is None else [target_hw])[0]
    # Recompute exactly as the source does.
    m = F.interpolate(mask_logits[None], size=(POST_SIZE, POST_SIZE), mode="bilinear", align_corners=False)
    classes = class_logits[None].softmax(dim=-1)[..., :-1]
    seg = torch.einsum("bqc, bqhw -> bchw", classes, m.sigmoid())
    if target_hw is not None:
        seg = F.interpolate(seg[0].unsqueeze(0), size=target_hw, mode="bilinear", align_corners=False)
    scores = seg[0]  # [K, H, W]
    mine = scores.argmax(0)
    check(torch.equal(mine, got), "semantic: recomputed argmax differs from transformers")
    top2 = scores.topk(2, dim=0).values
    margin = (top2[0] - top2[1]).contiguous()
    exact_ties = int((top2[0] == top2[1]).sum())
    values, counts = torch.unique(got, return_counts=True)
    info = {
        "shape": list(got.shape),
        "classes_present": [int(v) for v in values],
        "pixel_counts": {str(int(v)): int(c) for v, c in zip(values, counts)},
        "margin_min": f32(margin.min()),
        "margin_pixels_below_1e-5": int((margin < NEAR_TIE).sum()),
        "exact_ties": exact_ties,
        "near_tie": bool((margin < NEAR_TIE).any()),
    }
    return got.to(torch.int32).contiguous(), margin, info


# --------------------------------------------------------------------------------------------------
# Instance


def instance(proc, out, class_logits, mask_logits, threshold, target_hw):
    res = proc.post_process_instance_segmentation(
        out, threshold=threshold, target_sizes=None if target_hw is None else [target_hw], return_binary_maps=True)[0]
    num_queries, num_classes = class_logits.shape[0], class_logits.shape[1] - 1
    m384 = F.interpolate(mask_logits[None], size=(POST_SIZE, POST_SIZE), mode="bilinear", align_corners=False)[0]
    scores = F.softmax(class_logits, dim=-1)[:, :-1]
    labels = torch.arange(num_classes).unsqueeze(0).repeat(num_queries, 1).flatten(0, 1)
    topk_scores, topk_flat = scores.flatten(0, 1).topk(num_queries, sorted=False)
    topk_labels = labels[topk_flat]
    topk_query = torch.div(topk_flat, num_classes, rounding_mode="floor")
    check(torch.equal(topk_labels, topk_flat % num_classes), "instance: label != flat index % K")
    mask_pred = m384[topk_query]
    pred_masks = (mask_pred > 0).float()
    mask_scores = (mask_pred.sigmoid().flatten(1) * pred_masks.flatten(1)).sum(1) / (pred_masks.flatten(1).sum(1) + 1e-6)
    pred_scores = topk_scores * mask_scores
    if target_hw is not None:
        pred_masks = F.interpolate(pred_masks.unsqueeze(0), size=target_hw, mode="nearest")[0]
    kept, maps = [], []
    for j in range(num_queries):
        score = pred_scores[j].item()
        if not torch.all(pred_masks[j] == 0) and score >= threshold:
            kept.append({
                "id": len(kept),
                "label_id": int(topk_labels[j]),
                "score": round(score, 6),
                "score_raw": f32(score),
                "class_score": f32(topk_scores[j]),
                "mask_score": f32(mask_scores[j]),
                "query": int(topk_query[j]),
                "topk_position": j,
                "flat_index": int(topk_flat[j]),
                "mask_pixels": int(pred_masks[j].sum()),
            })
            maps.append(pred_masks[j])
    infos = res["segments_info"]
    check(len(infos) == len(kept), f"instance: {len(infos)} instances from transformers, {len(kept)} recomputed")
    for a, b in zip(infos, kept):
        check(a == {"id": b["id"], "label_id": b["label_id"], "was_fused": False, "score": b["score"]},
              f"instance: {a} vs recomputed {b}")
    check(len(kept) > 0, "instance: nothing kept")
    stacked = torch.stack(maps, 0)
    check(torch.equal(stacked, res["segmentation"]), "instance: binary maps differ from transformers")
    check(bool(((stacked == 0) | (stacked == 1)).all()), "instance: maps not binary")
    n = num_queries * num_classes
    sorted_path = num_queries * 64 <= n
    descending = bool((topk_scores[:-1] >= topk_scores[1:]).all())
    if sorted_path:
        check(descending, "instance: the partial_sort path must give descending order")
    unrounded = [k["score_raw"] for k in kept]
    all_scores = [f32(s) for s in pred_scores]
    info = {
        "threshold": threshold,
        "mask_threshold_unused": 0.5,
        "overlap_mask_area_threshold_unused": 0.8,
        "return_binary_maps": True,
        "target_size_hw": None if target_hw is None else list(target_hw),
        "shape": list(stacked.shape),
        "instances": kept,
        "num_instances": len(kept),
        "keys_query_label": sorted([k["query"], k["label_id"]] for k in kept),
        "min_abs_score_minus_threshold": min(abs(s - threshold) for s in all_scores),
        "scores_at_threshold_or_above": sum(s >= threshold for s in all_scores),
        "min_kept_score_raw": min(unrounded),
        "topk": {
            "k": num_queries,
            "n": n,
            "sorted_path": sorted_path,
            "path": ("partial_sort (k*64 <= Q*K): descending" if sorted_path
                     else "nth_element (k*64 > Q*K): libstdc++ order, not sorted"),
            "came_out_descending": descending,
            "flat_indices": [int(i) for i in topk_flat],
            "queries": [int(i) for i in topk_query],
            "labels": [int(i) for i in topk_labels],
            "class_scores": [f32(s) for s in topk_scores],
            "scores_raw": all_scores,
        },
    }
    return stacked.to(torch.uint8).contiguous(), info


def coco_rle(mask: np.ndarray) -> dict:
    """pycocotools' compressed RLE of a 2-D uint8 mask, checked by decoding it back."""
    assert mask.dtype == np.uint8 and mask.ndim == 2
    rle = coco_mask.encode(np.asfortranarray(mask))
    counts = rle["counts"].decode("ascii")
    back = coco_mask.decode({"size": [int(s) for s in rle["size"]], "counts": counts.encode("ascii")})
    check(back.shape == mask.shape and np.array_equal(back, mask), f"RLE {counts!r} does not decode to its mask")
    check(list(rle["size"]) == list(mask.shape), "RLE size is not [h, w]")
    return {"size": [int(s) for s in rle["size"]], "counts": counts}


def uncompressed_counts(mask: np.ndarray) -> list[int]:
    """Column-major run lengths starting with a run of zeros (the uncompressed COCO counts)."""
    flat = np.asfortranarray(mask).ravel(order="F")
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            current, run = v, 0
        run += 1
    counts.append(run)
    return counts


# --------------------------------------------------------------------------------------------------
# Panoptic


def panoptic(proc, out, class_logits, mask_logits, *, threshold, mask_threshold, overlap, fuse, target_hw):
    res = proc.post_process_panoptic_segmentation(
        out, threshold=threshold, mask_threshold=mask_threshold, overlap_mask_area_threshold=overlap,
        label_ids_to_fuse=set(fuse), target_sizes=None if target_hw is None else [target_hw])[0]
    num_labels = class_logits.shape[-1] - 1
    m384 = F.interpolate(mask_logits[None], size=(POST_SIZE, POST_SIZE), mode="bilinear", align_corners=False)
    mask_probs = m384.sigmoid()[0]
    probs = F.softmax(class_logits[None], dim=-1)
    pred_scores, pred_labels = probs.max(-1)
    pred_scores, pred_labels = pred_scores[0], pred_labels[0]
    top2 = probs[0].topk(2, dim=-1).values
    class_gap = (top2[:, 0] - top2[:, 1])
    to_keep = pred_labels.ne(num_labels) & (pred_scores > threshold)
    kept_queries = [int(q) for q in to_keep.nonzero().flatten()]
    fates = []
    for q in range(class_logits.shape[0]):
        fate = {
            "query": q,
            "label_id": int(pred_labels[q]),
            "score": f32(pred_scores[q]),
            "fate": "no_object" if int(pred_labels[q]) == num_labels else ("below_threshold" if q not in kept_queries else None),
        }
        fates.append(fate)
    info = {
        "threshold": threshold,
        "mask_threshold": mask_threshold,
        "overlap_mask_area_threshold": overlap,
        "label_ids_to_fuse": sorted(fuse),
        "target_size_hw": None if target_hw is None else list(target_hw),
        "kept_by_score": kept_queries,
        "class_argmax_min_gap": f32(class_gap.min()),
        "class_argmax_exact_ties": int((class_gap == 0).sum()),
        "min_abs_score_minus_threshold": min(abs(f32(s) - threshold) for s in pred_scores),
    }
    h, w = (POST_SIZE, POST_SIZE) if target_hw is None else target_hw
    if not kept_queries:
        check(res["segments_info"] == [] and torch.equal(res["segmentation"], torch.zeros((h, w)) - 1),
              "panoptic: empty result differs")
        info.update(segments_info=[], id_reuse_quirk=False, num_segment_ids=0, fates=fates,
                    empty_result="float canvas of -1 (transformers returns a float tensor here)")
        empty = torch.full((h, w), -1, dtype=torch.int32)
        return empty, empty.clone(), None, info

    mp = mask_probs[to_keep]
    ps, pl = pred_scores[to_keep], pred_labels[to_keep]
    if target_hw is not None:
        mp = F.interpolate(mp.unsqueeze(0), size=target_hw, mode="bilinear", align_corners=False)[0]
    mp *= ps.view(-1, 1, 1)
    owner = mp.argmax(0)
    # owner_gap: best minus second-best score-weighted probability (+inf with a single kept query)
    if mp.shape[0] >= 2:
        t2 = mp.topk(2, dim=0).values
        owner_gap = (t2[0] - t2[1]).contiguous()
    else:
        owner_gap = torch.full((h, w), float("inf"))
    info["owner_min_gap"] = f32(owner_gap.min()) if mp.shape[0] >= 2 else None
    info["owner_exact_ties"] = int((owner_gap == 0).sum())
    info["owner_pixels_gap_below_1e-5"] = int((owner_gap < NEAR_TIE).sum())
    info["owner_pixels_gap_below_1e-6"] = int((owner_gap < 1e-6).sum())
    segmentation = torch.zeros((h, w), dtype=torch.int32)
    fresh_segmentation = torch.zeros((h, w), dtype=torch.int32)  # the same run with fresh ids (not transformers)
    segments, memory, used_ids = [], {}, set()
    fresh_segments, fresh_memory = [], {}
    current = 0
    quirk = False
    for k, q in enumerate(kept_queries):
        cls = int(pl[k])
        should_fuse = cls in set(fuse)
        mask_k = owner == k
        area = int(mask_k.sum())
        original = int((mp[k] >= mask_threshold).sum())
        exists = area > 0 and original > 0
        ratio = None
        if exists:
            # the source compares the tensor ratio: (mask_k_area / original_area).item() (a float32 division)
            ratio = (mask_k.sum() / (mp[k] >= mask_threshold).sum()).item()
            exists = ratio > overlap
        fate = fates[q]
        fate.update(area=area, original_area=original, area_ratio=ratio)
        if not exists:
            fate["fate"] = "overlap_removed"
            fate["why"] = ("no pixel won" if area == 0 else "original_area 0" if original == 0
                           else "area ratio <= overlap_mask_area_threshold")
            continue
        if cls in memory:
            current = memory[cls]
            fate["fate"] = "merged"
            fresh = fresh_memory[cls]
        else:
            current += 1
            if current in used_ids:
                quirk = True
                fate["id_reused"] = True
            fate["fate"] = "kept"
            fresh = max((s["id"] for s in fresh_segments), default=0) + 1
        used_ids.add(current)
        fate["segment_id"] = current
        segmentation[mask_k] = current
        fresh_segmentation[mask_k] = fresh
        score = round(ps[k].item(), 6)
        segments.append({"id": current, "label_id": cls, "was_fused": should_fuse, "score": score})
        fresh_segments.append({"id": fresh, "label_id": cls, "was_fused": should_fuse, "score": score})
        if should_fuse:
            memory[cls] = current
            fresh_memory[cls] = fresh
    check(res["segments_info"] == segments, f"panoptic: segments {res['segments_info']} vs recomputed {segments}")
    check(res["segmentation"].dtype == torch.int32 and torch.equal(res["segmentation"], segmentation),
          "panoptic: segmentation differs from transformers")
    check(all(f["fate"] for f in fates), "panoptic: a query without a fate")
    # The fates must agree with the segments: one kept/merged per segments_info entry, in order.
    painted = [f for q in kept_queries for f in [fates[q]] if f["fate"] in ("kept", "merged")]
    check([(f["segment_id"], f["label_id"]) for f in painted] == [(s["id"], s["label_id"]) for s in segments],
          "panoptic: fates disagree with segments_info")
    ids_on_map = sorted(int(v) for v in torch.unique(segmentation) if int(v) != 0)
    check(set(ids_on_map) <= {s["id"] for s in segments}, "panoptic: painted id without a segment")
    if quirk:
        info["segments_info_fresh_ids"] = fresh_segments
    else:
        check(segments == fresh_segments and torch.equal(segmentation, fresh_segmentation),
              "panoptic: without id reuse, fresh ids must equal transformers' ids")
    ratios = [f["area_ratio"] for f in fates if f.get("area_ratio") is not None]
    info.update(
        min_abs_area_ratio_minus_overlap=min((abs(r - overlap) for r in ratios), default=None),
        segments_info=segments,
        id_reuse_quirk=quirk,
        num_segments_info=len(segments),
        num_segment_ids=len({s["id"] for s in segments}),
        ids_on_map=ids_on_map,
        fates=fates,
        fate_counts={k: sum(f["fate"] == k for f in fates)
                     for k in ("no_object", "below_threshold", "overlap_removed", "kept", "merged")},
    )
    return segmentation.contiguous(), fresh_segmentation.contiguous(), owner_gap, info


# --------------------------------------------------------------------------------------------------
# Per case


def load_case(fixtures: Path, case: str):
    with safe_open(str(fixtures / "reference" / f"{case}.safetensors"), framework="pt") as f:
        return f.get_tensor("class_logits.9"), f.get_tensor("mask_logits.9")


def run_case(proc, fixtures: Path, case: str, spec: dict, cases_json: dict) -> tuple[dict, dict]:
    class_logits, mask_logits = load_case(fixtures, case)
    entry = cases_json[case]
    if "image_size_hw" in entry:
        target_hw, target_source = tuple(entry["image_size_hw"]), "cases.json image_size_hw (original image size)"
    else:
        target_hw, target_source = RANDOM_CASE_SIZE_HW, "pixel size of the random input (no image)"
    model_cfg = json.loads((fixtures / entry["model"] / "config.json").read_text())
    out = make_outputs(class_logits, mask_logits)
    q, k1 = class_logits.shape
    tensors: dict[str, torch.Tensor] = {}
    doc: dict = {
        "case": case,
        "postprocess_format_version": POSTPROCESS_FORMAT_VERSION,
        "source": f"reference/{case}.safetensors",
        "inputs": {"class_queries_logits": "class_logits.9", "masks_queries_logits": "mask_logits.9"},
        "model": entry["model"],
        "id2label": model_cfg["id2label"],
        "Q": q,
        "K": k1 - 1,
        "mask_logits_hw": list(mask_logits.shape[1:]),
        "target_size_hw": list(target_hw),
        "target_size_source": target_source,
        "with_384": spec["with_384"],
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }

    # 1. semantic
    sem_t, margin, sem_info = semantic(proc, out, class_logits, mask_logits, target_hw)
    tensors["semantic.target"] = sem_t
    tensors["semantic.margin.target"] = margin
    doc["semantic"] = {"target": sem_info}
    if spec["with_384"]:
        sem_384, margin_384, info_384 = semantic(proc, out, class_logits, mask_logits, None)
        tensors["semantic.384"] = sem_384
        doc["semantic"]["384"] = info_384

    # 2./3. instance + RLE
    th = spec["instance_threshold"]
    masks_t, inst_t = instance(proc, out, class_logits, mask_logits, th, target_hw)
    check(3 <= inst_t["num_instances"] <= 8, f"{case}: {inst_t['num_instances']} instances at threshold {th}")
    tensors["instance.target.masks"] = masks_t
    inst_t["rle"] = [coco_rle(m.numpy()) for m in masks_t]
    doc["instance"] = {"target": inst_t}
    if spec["with_384"]:
        masks_384, inst_384 = instance(proc, out, class_logits, mask_logits, th, None)
        tensors["instance.384.masks"] = masks_384
        doc["instance"]["384"] = inst_384

    # 4. panoptic
    doc["panoptic"] = {}
    for name, p_th, p_mt, p_ov, fuse, size in spec["panoptic"]:
        seg, _, gap, info = panoptic(proc, out, class_logits, mask_logits, threshold=p_th, mask_threshold=p_mt,
                                     overlap=p_ov, fuse=fuse, target_hw=target_hw if size == "target" else None)
        check(info["num_segments_info"] >= 4, f"{case} panoptic {name}: only {info['num_segments_info']} segments")
        check(not info["id_reuse_quirk"], f"{case} panoptic {name}: the id-reuse quirk happens; pick other settings")
        tensors[f"panoptic.{name}.segmentation"] = seg
        info["tensor"] = f"panoptic.{name}.segmentation"
        if name == "target":  # the owner map (and its gap) does not depend on the fuse set
            tensors["panoptic.target.owner_gap"] = gap
            info["tensor_owner_gap"] = "panoptic.target.owner_gap"
        doc["panoptic"][name] = info

    # 5. near ties, summary
    sem_runs = doc["semantic"].values()
    pan_runs = doc["panoptic"].values()
    doc["near_ties"] = {
        "semantic_margin_below_1e-5": any(r["near_tie"] for r in sem_runs),
        "semantic_exact_ties": sum(r["exact_ties"] for r in sem_runs),
        "panoptic_owner_exact_ties": sum(r["owner_exact_ties"] for r in pan_runs),
        "panoptic_owner_gap_below_1e-5": sum(r["owner_pixels_gap_below_1e-5"] for r in pan_runs),
        "panoptic_class_argmax_exact_ties": sum(r["class_argmax_exact_ties"] for r in pan_runs),
        "instance_mask_logits_abs_below_1e-5": int((resize_384(mask_logits).abs() < NEAR_TIE).sum()),
        "instance_min_abs_score_minus_threshold": min(r["min_abs_score_minus_threshold"] for r in doc["instance"].values()),
        "panoptic_min_abs_score_minus_threshold": min(r["min_abs_score_minus_threshold"] for r in pan_runs),
        "panoptic_min_abs_area_ratio_minus_overlap": min(r["min_abs_area_ratio_minus_overlap"] for r in pan_runs),
    }
    doc["tensors"] = {n: {"dtype": {torch.int32: "I32", torch.float32: "F32", torch.uint8: "U8"}[t.dtype],
                          "shape": list(t.shape)} for n, t in sorted(tensors.items())}
    return tensors, doc


# --------------------------------------------------------------------------------------------------
# Hand-made RLE masks


def rle_cases() -> list[tuple[str, np.ndarray]]:
    z = np.zeros
    cases = []
    cases.append(("all zeros 4x6", z((4, 6), np.uint8)))
    cases.append(("all ones 4x6", np.ones((4, 6), np.uint8)))
    m = z((5, 7), np.uint8); m[0, 0] = 1
    cases.append(("single pixel at (0,0) of 5x7", m))
    m = z((5, 7), np.uint8); m[-1, -1] = 1
    cases.append(("single pixel at the last pixel (4,6) of 5x7", m))
    yy, xx = np.mgrid[0:5, 0:7]
    cases.append(("checkerboard 5x7, 1 at (0,0)", ((yy + xx) % 2 == 0).astype(np.uint8)))
    cases.append(("1x1 one", np.ones((1, 1), np.uint8)))
    cases.append(("1x1 zero", z((1, 1), np.uint8)))
    cases.append(("6x1 column, 0-run first: 0 0 1 1 1 0", np.array([[0], [0], [1], [1], [1], [0]], np.uint8)))
    cases.append(("6x1 column, 1-run first: 1 1 0 0 0 1", np.array([[1], [1], [0], [0], [0], [1]], np.uint8)))
    stripe = z((300, 1), np.uint8); stripe[37:237] = 1; stripe[250:] = 1
    cases.append(("300x1 stripe: runs 37 0s, 200 1s, 13 0s, 50 1s (long runs, negative deltas)", stripe))
    m = z((3, 40), np.uint8); m[:, 5:35] = 1
    cases.append(("3x40, columns 5..34 set (row-major vs column-major differ)", m))
    rng = np.random.default_rng(SEED + 500)
    cases.append(("random 13x11 (seed SEED+500, p=0.4)", (rng.random((13, 11)) < 0.4).astype(np.uint8)))
    return cases


def write_rle(out_dir: Path) -> dict:
    tensors, doc = {}, {"postprocess_format_version": POSTPROCESS_FORMAT_VERSION, "cases": []}
    for i, (desc, m) in enumerate(rle_cases()):
        name = f"rle.case.{i}"
        tensors[name] = torch.from_numpy(np.ascontiguousarray(m))
        enc = coco_rle(m)
        doc["cases"].append({"index": i, "tensor": name, "description": desc, "shape_hw": list(m.shape),
                             "rle": enc, "uncompressed_counts": uncompressed_counts(m), "area": int(m.sum())})
    doc["encoder"] = "pycocotools.mask.encode(np.asfortranarray(mask)) (2.0.11); counts as an ASCII string"
    m2f_ref.save_safetensors(tensors, str(out_dir / "rle.safetensors"), metadata=_meta("rle"))
    return doc


# --------------------------------------------------------------------------------------------------
# Synthetic runs (hand-built logits)


def _blocks(h: int, w: int, boxes: list, inside: float = 6.0, outside: float = -6.0) -> torch.Tensor:
    m = torch.full((len(boxes), h, w), outside)
    for i, (y0, y1, x0, x1, v) in enumerate(boxes):
        m[i, y0:y1, x0:x1] = inside if v is None else v
    return m


def _onehot_logits(labels: list, num_labels: int, high: float = 4.0) -> torch.Tensor:
    c = torch.zeros((len(labels), num_labels + 1))
    for i, lab in enumerate(labels):
        if lab is None:
            continue  # flat logits: a low score
        c[i, lab] = high
    return c


def write_synthetic(proc, out_dir: Path) -> dict:
    tensors, doc = {}, {"postprocess_format_version": POSTPROCESS_FORMAT_VERSION}

    # (a) id-reuse quirk: Q=4, K=3 (0 = stuff "sky", fused; 1, 2 = things). Four column bands.
    h, w = 8, 12
    cl = _onehot_logits([0, 1, 0, 2], 3)
    ml = _blocks(h, w, [(0, h, 0, 3, None), (0, h, 3, 6, None), (0, h, 6, 9, None), (0, h, 9, 12, None)])
    out = make_outputs(cl, ml)
    quirk = {"description": (
        "Q=4, K=3, label_ids_to_fuse={0}. Queries paint four column bands: q0 label 0 (fused) -> id 1; "
        "q1 label 1 -> id 2; q2 label 0 again -> transformers sets current_segment_id back to 1 (merged); "
        "q3 label 2 -> current_segment_id 1 + 1 = 2, an id that q1 already has. The map then holds id 2 "
        "for two different labels. An implementation with fresh ids gives q3 id 3 "
        "(segments_info_fresh_ids, segmentation_fresh_ids)."),
        "inputs": {"class_queries_logits": "quirk.class_logits", "masks_queries_logits": "quirk.mask_logits"},
        "Q": 4, "K": 3, "mask_logits_hw": [h, w], "runs": {}}
    tensors["quirk.class_logits"], tensors["quirk.mask_logits"] = cl, ml
    for name, size in (("target", (h, w)),):  # a 384 run would add 1.2 MB of I32 and show nothing new
        seg, fresh_seg, _, info = panoptic(proc, out, cl, ml, threshold=0.5, mask_threshold=0.5, overlap=0.8,
                                           fuse=[0], target_hw=size)
        check(info["id_reuse_quirk"], f"synthetic quirk {name}: the quirk did not happen")
        check([s["id"] for s in info["segments_info"]] == [1, 2, 1, 2], f"synthetic quirk {name}: {info['segments_info']}")
        check([s["id"] for s in info["segments_info_fresh_ids"]] == [1, 2, 1, 3], "synthetic quirk: fresh ids")
        tensors[f"quirk.panoptic.{name}.segmentation"] = seg
        tensors[f"quirk.panoptic.{name}.segmentation_fresh_ids"] = fresh_seg
        info["tensor"] = f"quirk.panoptic.{name}.segmentation"
        info["tensor_fresh_ids"] = f"quirk.panoptic.{name}.segmentation_fresh_ids"
        quirk["runs"][name] = info
    doc["quirk"] = quirk

    # (b) every fate, plus semantic and instance on several classes: Q=6, K=3, 12x16 logits.
    h, w = 12, 16
    cl = _onehot_logits([3, None, 1, 2, 0, 0], 3)   # q0 argmax = no-object
    cl[1] = torch.tensor([0.1, 0.0, -0.1, 0.0])      # q1 flat: score ~0.28
    cl[3, 2] = 3.5                                    # q3 a little less sure than q2
    ml = _blocks(h, w, [
        (0, 12, 0, 16, 2.0),    # q0 no-object, covers everything
        (0, 6, 0, 8, None),     # q1 below threshold
        (0, 6, 8, 16, None),    # q2 label 1: top right
        (1, 5, 9, 15, 3.0),     # q3 label 2: inside q2's block, weaker -> wins no pixel -> overlap_removed
        (0, 12, 0, 8, None),    # q4 label 0 (fused): the left half
        (6, 12, 8, 16, None),   # q5 label 0 again: bottom right -> merged into q4's id
    ])
    out = make_outputs(cl, ml)
    fates = {"description": (
        "Q=6, K=3, label_ids_to_fuse={0}: q0 argmax is the no-object column (no_object); q1 has flat logits "
        "(score 0.28, below_threshold); q2 label 1 wins the top-right block (kept, id 1); q3 label 2 lies inside "
        "q2's block with lower logits and score, wins no pixel (overlap_removed); q4 label 0 left half (kept, id 2); "
        "q5 label 0 bottom-right (merged into id 2). Semantic and instance outputs of the same logits cover "
        "several classes."),
        "inputs": {"class_queries_logits": "fates.class_logits", "masks_queries_logits": "fates.mask_logits"},
        "Q": 6, "K": 3, "mask_logits_hw": [h, w], "target_size_hw": [h * 2 + 1, w * 2 - 3]}
    target = (h * 2 + 1, w * 2 - 3)
    tensors["fates.class_logits"], tensors["fates.mask_logits"] = cl, ml
    seg, _, gap, info = panoptic(proc, out, cl, ml, threshold=0.5, mask_threshold=0.5, overlap=0.8, fuse=[0],
                                 target_hw=target)
    expected = ["no_object", "below_threshold", "kept", "overlap_removed", "kept", "merged"]
    check([f["fate"] for f in info["fates"]] == expected, f"synthetic fates: {[f['fate'] for f in info['fates']]}")
    check(not info["id_reuse_quirk"], "synthetic fates: unexpected quirk")
    tensors["fates.panoptic.target.segmentation"] = seg
    tensors["fates.panoptic.target.owner_gap"] = gap
    info["tensor"] = "fates.panoptic.target.segmentation"
    fates["panoptic"] = {"target": info}
    sem, margin, sem_info = semantic(proc, out, cl, ml, target)
    check(len(sem_info["classes_present"]) >= 2, "synthetic semantic: fewer than 2 classes")
    tensors["fates.semantic.target"], tensors["fates.semantic.margin.target"] = sem, margin
    fates["semantic"] = {"target": sem_info}
    masks, inst = instance(proc, out, cl, ml, 0.3, target)
    tensors["fates.instance.target.masks"] = masks
    inst["rle"] = [coco_rle(m.numpy()) for m in masks]
    fates["instance"] = {"target": inst}
    doc["fates"] = fates

    # (c) semantic with many classes: the real cases' random weights make one class win everywhere,
    # so take tiny-w12's final mask logits and give its queries seeded random class logits.
    from safetensors.torch import load_file
    ref = load_file(str(out_dir.parent / "reference" / "tiny-w12-scene-200x150.safetensors"))
    generator = torch.Generator().manual_seed(SEED + 3)
    # Plus a smooth random field per query (5×7 noise, bilinearly upsampled) so queries own different regions.
    base = ref["mask_logits.9"]
    field = torch.randn((base.shape[0], 5, 7), generator=generator)
    ml = (base + 4.0 * F.interpolate(field[None], size=tuple(base.shape[1:]), mode="bilinear", align_corners=False)[0]).contiguous()
    cl = 3.0 * torch.randn(ref["class_logits.9"].shape, generator=generator)
    out = make_outputs(cl, ml)
    tensors["mixed.class_logits"], tensors["mixed.mask_logits"] = cl.contiguous(), ml.contiguous()
    mixed = {"description": "tiny-w12's final mask logits plus a seeded smooth random field per query (4 × 5×7 "
                            "N(0,1) noise, bilinearly upsampled), with seeded N(0, 3²) class logits, so several "
                            "classes win: semantic parity beyond a single class.",
             "inputs": {"class_queries_logits": "mixed.class_logits", "masks_queries_logits": "mixed.mask_logits"},
             "Q": int(cl.shape[0]), "K": int(cl.shape[1] - 1), "mask_logits_hw": list(ml.shape[1:]),
             "target_size_hw": [150, 200], "semantic": {}}
    for run, target_hw in (("target", (150, 200)), ("384", None)):
        sem, margin, sem_info = semantic(proc, out, cl, ml, target_hw)
        check(len(sem_info["classes_present"]) >= 3, f"mixed semantic {run}: only {sem_info['classes_present']}")
        tensors[f"mixed.semantic.{run}"] = sem
        tensors[f"mixed.semantic.margin.{run}"] = margin
        mixed["semantic"][run] = sem_info
    doc["mixed"] = mixed
    doc["tensors"] = {n: {"dtype": {torch.int32: "I32", torch.float32: "F32", torch.uint8: "U8"}[t.dtype],
                          "shape": list(t.shape)} for n, t in sorted(tensors.items())}
    m2f_ref.save_safetensors(tensors, str(out_dir / "synthetic.safetensors"), metadata=_meta("synthetic"))
    return doc


def _meta(case: str) -> dict:
    return {"format": m2f_ref.FIXTURE_FORMAT, "format_version": m2f_ref.FIXTURE_FORMAT_VERSION,
            "postprocess_format_version": POSTPROCESS_FORMAT_VERSION, "case": case,
            "transformers": transformers.__version__, "torch": torch.__version__}


def write_json(path: Path, value) -> None:
    text = compact_json(json.loads(json.dumps(value, sort_keys=True)))
    path.write_text(text + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=str(REPO / "Tests" / "Fixtures"), help="the Tests/Fixtures folder")
    args = ap.parse_args()
    m2f_ref.set_determinism(SEED, threads=2)
    hf_logging.set_verbosity(logging.ERROR)
    check(transformers.__version__ == "4.57.6", f"transformers {transformers.__version__}, expected 4.57.6")
    fixtures = Path(args.fixtures)
    out_dir = fixtures / "postprocess"
    out_dir.mkdir(parents=True, exist_ok=True)
    cases_json = json.loads((fixtures / "reference" / "cases.json").read_text())
    proc = Mask2FormerImageProcessor()  # post-processing uses no processor setting

    for case, spec in CASES.items():
        tensors, doc = run_case(proc, fixtures, case, spec, cases_json)
        m2f_ref.save_safetensors(tensors, str(out_dir / f"{case}.safetensors"), metadata=_meta(case))
        write_json(out_dir / f"{case}.json", doc)
        inst = doc["instance"]["target"]
        print(f"[{case}] Q={doc['Q']} K={doc['K']} target {doc['target_size_hw']}: semantic classes "
              f"{doc['semantic']['target']['classes_present']} (margin min {doc['semantic']['target']['margin_min']:.3g}); "
              f"instances {inst['num_instances']} at threshold {inst['threshold']} "
              f"({'384: ' + str(doc['instance']['384']['num_instances']) + '; ' if '384' in doc['instance'] else ''}"
              f"topk {'sorted' if inst['topk']['sorted_path'] else 'unsorted'})")
        for name, run in doc["panoptic"].items():
            print(f"    panoptic {name}: threshold {run['threshold']} mask_threshold {run['mask_threshold']} "
                  f"overlap {run['overlap_mask_area_threshold']} fuse {run['label_ids_to_fuse']}: "
                  f"{run['num_segments_info']} segments_info, {run['num_segment_ids']} ids, fates {run['fate_counts']}, "
                  f"quirk {run['id_reuse_quirk']}, owner min gap {run['owner_min_gap']}")
        print(f"    near ties: {doc['near_ties']}")
    write_json(out_dir / "rle.json", write_rle(out_dir))
    write_json(out_dir / "synthetic.json", write_synthetic(proc, out_dir))
    write_manifest(fixtures)
    total = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
    print(f"postprocess fixtures: {total / 1e6:.2f} MB under {out_dir}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckFailed as e:
        print(f"CHECK FAILED: {e}", file=sys.stderr)
        sys.exit(1)
