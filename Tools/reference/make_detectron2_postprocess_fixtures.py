#!/usr/bin/env python3
"""Write Tests/Fixtures/postprocess/detectron2-padded.{safetensors,json}: detectron2's post-processing
of a zero-padded input, re-implemented step by step (detectron2 need not be installed).

    Tools/reference/make_detectron2_postprocess_fixtures.py [--fixtures Tests/Fixtures]

The case: a 45x59 image, resized by ResizeShortestEdge(90) to 90x118 (int(x + 0.5)), padded by
ImageList.from_tensors to 96x128 (SIZE_DIVISIBILITY 32), mask logits at stride 4 (24x32). The logits
are seeded random (the model's output is not what is tested, the resampling is), with a class column
strong enough that segments are not all "no object". Steps mirrored:

* facebookresearch/Mask2Former mask2former/maskformer_model.py, MaskFormer.forward (inference):
  `mask_pred_results = F.interpolate(mask_pred_results, size=(images.tensor.shape[-2],
  images.tensor.shape[-1]), mode="bilinear", align_corners=False)`; then per image
  `sem_seg_postprocess(mask_pred_result, image_size, height, width)` before inference (panoptic_on or
  instance_on, or SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE).
* detectron2 modeling/postprocessing.py, sem_seg_postprocess: `result[:, : img_size[0], : img_size[1]]`,
  then `F.interpolate(result, size=(output_height, output_width), mode="bilinear", align_corners=False)`.
* maskformer_model.py semantic_inference: `softmax(mask_cls)[..., :-1]`, `mask_pred.sigmoid()`,
  `einsum("qc,qhw->chw")`; the label is the argmax over c (as detectron2's sem_seg consumers do).
* maskformer_model.py panoptic_inference: keep = label != K and score > object_mask_threshold,
  `cur_prob_masks = cur_scores.view(-1, 1, 1) * cur_masks`, `cur_mask_ids = cur_prob_masks.argmax(0)`:
  the owner of each pixel, recorded as a query index. (The segment-validity rules that follow differ
  from transformers' and are not part of this fixture.)

Also written: the same results WITHOUT the crop (resized straight from the padded size), and the
script asserts they differ, so a test that compares against the cropped ones fails without the crop.
Pinned as make_postprocess_fixtures.py (torch 2.13 CPU, float32). Deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import REPO, SEED, write_manifest  # noqa: E402

QUERIES, CLASSES = 12, 6
IMAGE_HW = (45, 59)          # original image (output size)
RESIZED_HW = (90, 118)       # ResizeShortestEdge(90): 59 * 2 = 118
PADDED_HW = (96, 128)        # multiples of 32
OBJECT_MASK_THRESHOLD = 0.3
NEAR_TIE = 1e-5


def postprocess(mask_logits: torch.Tensor, class_logits: torch.Tensor, crop: bool):
    masks = F.interpolate(mask_logits[None], size=PADDED_HW, mode="bilinear", align_corners=False)[0]
    if crop:
        masks = masks[:, : RESIZED_HW[0], : RESIZED_HW[1]]
    masks = F.interpolate(masks[None], size=IMAGE_HW, mode="bilinear", align_corners=False)[0]
    cls = F.softmax(class_logits, dim=-1)[..., :-1]
    probs = masks.sigmoid()
    semseg = torch.einsum("qc,qhw->chw", cls, probs)
    top2 = semseg.topk(2, dim=0).values
    semantic = semseg.argmax(0).to(torch.int32)
    semantic_margin = (top2[0] - top2[1])

    scores, labels = F.softmax(class_logits, dim=-1).max(-1)
    keep = labels.ne(CLASSES) & (scores > OBJECT_MASK_THRESHOLD)
    kept = torch.nonzero(keep)[:, 0]
    prob_masks = scores[keep].view(-1, 1, 1) * probs[keep]
    owner_top2 = prob_masks.topk(2, dim=0).values
    owner = kept[prob_masks.argmax(0)].to(torch.int32)
    return semantic, semantic_margin, owner, owner_top2[0] - owner_top2[1], kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", type=Path, default=REPO / "Tests" / "Fixtures")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(SEED + 32)
    stride_hw = (PADDED_HW[0] // 4, PADDED_HW[1] // 4)
    # Smooth-ish masks (a coarse random field upsampled) so segments are blobs with edges everywhere.
    coarse = torch.randn(QUERIES, 6, 8, generator=generator) * 4
    mask_logits = F.interpolate(coarse[None], size=stride_hw, mode="bilinear", align_corners=False)[0].contiguous()
    class_logits = torch.randn(QUERIES, CLASSES + 1, generator=generator)
    class_logits[torch.arange(QUERIES), torch.arange(QUERIES) % CLASSES] += 3.0  # confident classes

    tensors = {"class_queries_logits": class_logits.contiguous(), "masks_queries_logits": mask_logits}
    summary = {"kept_queries": None}
    for name, crop in (("cropped", True), ("uncropped", False)):
        semantic, margin, owner, gap, kept = postprocess(mask_logits, class_logits, crop)
        tensors[f"{name}.semantic"] = semantic.contiguous()
        tensors[f"{name}.semantic_near_tie"] = (margin < NEAR_TIE).to(torch.uint8).contiguous()
        tensors[f"{name}.panoptic_owner"] = owner.contiguous()
        tensors[f"{name}.panoptic_near_tie"] = (gap < NEAR_TIE).to(torch.uint8).contiguous()
        summary["kept_queries"] = kept.tolist()
    for kind in ("semantic", "panoptic_owner"):
        differing = int((tensors[f"cropped.{kind}"] != tensors[f"uncropped.{kind}"]).sum())
        assert differing > 20, f"{kind}: the crop changes only {differing} pixels; pick another seed"
        summary[f"{kind}_pixels_changed_by_crop"] = differing
    assert len(set(tensors["cropped.semantic"].flatten().tolist())) >= 3, "too few classes in the semantic map"
    assert len(set(tensors["cropped.panoptic_owner"].flatten().tolist())) >= 3, "too few owners"

    out = args.fixtures / "postprocess"
    save_file(tensors, str(out / "detectron2-padded.safetensors"),
              metadata={"format": "maskscope-fixture", "format_version": "1", "case": "detectron2-padded",
                        "torch": torch.__version__})
    description = {
        "image_hw": list(IMAGE_HW), "resized_hw": list(RESIZED_HW), "padded_hw": list(PADDED_HW),
        "object_mask_threshold": OBJECT_MASK_THRESHOLD, "near_tie": NEAR_TIE, **summary,
    }
    (out / "detectron2-padded.json").write_text(json.dumps(description, sort_keys=True, indent=1) + "\n")
    write_manifest(args.fixtures)
    print({k: v for k, v in description.items()})


if __name__ == "__main__":
    main()
