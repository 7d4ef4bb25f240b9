"""Writes SampleImages/shapes/ (six scenes of the `sample` split) and their ground truth in the COCO
panoptic layout under Tests/Fixtures/shapes-sample/ (the CLI tests run `maskscope eval` on it with the
shipped model). With --reference-model Models/shapes-swin it also writes transformers' predictions
for those scenes to Tests/Fixtures/shapes-sample/transformers/ (the Swift parity test compares
`maskscope segment` with them). Deterministic: a rerun is byte-identical. Run from the repository
root:

    python Tools/shapes-world/make_samples.py --reference-model Models/shapes-swin
"""

import argparse
import json
import os
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes_world as sw  # noqa: E402

# Chosen from the first 24 sample scenes for touching same-class objects, occlusion and rings.
INDICES = [1, 4, 9, 12, 15, 21]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", default="SampleImages/shapes")
    ap.add_argument("--ground-truth", default="Tests/Fixtures/shapes-sample")
    ap.add_argument("--reference-model", help="also write transformers' predictions with this model (Models/shapes-swin) "
                                              "to GROUND_TRUTH/transformers, for the Swift parity test")
    a = ap.parse_args(argv)
    os.makedirs(a.images, exist_ok=True)
    os.makedirs(os.path.join(a.ground_truth, "panoptic"), exist_ok=True)
    images, annotations = [], []
    for i in INDICES:
        scene = sw.render_scene("sample", i)
        name = sw.stem("sample", i)
        Image.fromarray(scene.image).save(os.path.join(a.images, name + ".png"))
        Image.fromarray(sw.ids_to_rgb(scene.ids)).save(os.path.join(a.ground_truth, "panoptic", name + ".png"))
        images.append({"id": name, "file_name": name + ".png", "height": sw.HEIGHT, "width": sw.WIDTH})
        annotations.append({"image_id": name, "file_name": name + ".png", "segments_info": scene.segments})
    doc = {"info": {"description": "shapes world, SampleImages/shapes", "split": "sample",
                    "seed": sw.SPLIT_SEEDS["sample"], "indices": INDICES,
                    "height": sw.HEIGHT, "width": sw.WIDTH},
           "images": images, "annotations": annotations, "categories": sw.categories_json()}
    with open(os.path.join(a.ground_truth, "panoptic.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    if a.reference_model:
        import predict_reference  # imports torch and transformers: only on this path
        predict_reference.main(["--model", a.reference_model, "--split-dir", a.ground_truth, "--images", a.images,
                                "--out", os.path.join(a.ground_truth, "transformers")])
    if os.path.abspath(a.ground_truth) == os.path.abspath("Tests/Fixtures/shapes-sample"):
        sys.path.insert(0, "Tools/reference")
        import make_fixtures  # the one manifest writer, covering every file under Tests/Fixtures
        from pathlib import Path
        make_fixtures.write_manifest(Path("Tests/Fixtures"))
    print(f"{len(INDICES)} scenes -> {a.images}, ground truth -> {a.ground_truth}", file=sys.stderr)


if __name__ == "__main__":
    main()
