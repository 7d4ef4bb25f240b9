#!/usr/bin/env bash
# End-to-end smoke test (~2–3 minutes on 2 CPU threads): a 16-scene split, 20 training steps, a resume
# for 5 more (checked bit-identical to 25 uninterrupted steps), export, reference predictions, and
# eval_reference.py on ground truth vs ground truth (PQ, mIoU and mask AP must be 100).
#
#   PY=/work/venv-ref/bin/python Tools/shapes-world/smoke_test.sh [WORKDIR]     (default: a new temp dir)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PY:-python3}"
work="${1:-$(mktemp -d /tmp/shapes-smoke.XXXXXX)}"
export PYTHONWARNINGS=ignore
cd "$here"
echo "smoke test in $work"
"$py" shapes_world.py generate --out "$work/data" --train 16 --val 8 --test 16
"$py" selfcheck.py --split-dir "$work/data/test" --count 4 | tail -1
common=(--data "$work/data/train" --steps 25 --warmup 5 --save-every 10 --val-every 10 --val-scenes 8)
"$py" train.py --out "$work/run" "${common[@]}" --stop-after 20 2>&1 | grep -E "^step (10|20)|stopped"
"$py" train.py --out "$work/run" "${common[@]}" 2>&1 | grep -E "resumed|stopped"
"$py" train.py --out "$work/straight" "${common[@]}" 2>&1 | grep -E "stopped"
"$py" - "$work" <<'PY'
import json, sys, torch
w = sys.argv[1]
rows = lambda r: [json.loads(l) for l in open(f"{w}/{r}/log.jsonl")]
strip = lambda rs: [{k: v for k, v in x.items() if k not in ("sec", "data_sec")} for x in rs]
a = torch.load(f"{w}/run/last.pt", weights_only=False)["model"]
b = torch.load(f"{w}/straight/last.pt", weights_only=False)["model"]
same = strip(rows("run")) == strip(rows("straight")) and all(torch.equal(a[k], b[k]) for k in a)
print("resume: 20 + 5 steps", "==" if same else "!=", "25 steps (losses and weights)")
sys.exit(0 if same else 1)
PY
"$py" export.py --checkpoint "$work/run/last.pt" --out "$work/model"
"$py" predict_reference.py --model "$work/model" --split-dir "$work/data/test" --out "$work/pred"
"$py" eval_reference.py --gt-json "$work/data/test/panoptic.json" --pred-panoptic "$work/pred" \
    --pred-semantic "$work/pred" --pred-instances "$work/pred" --out "$work/metrics-model.json"
"$py" eval_reference.py --gt-json "$work/data/test/panoptic.json" --write-gt-instances "$work/gt-instances.json"
"$py" eval_reference.py --gt-json "$work/data/test/panoptic.json" --pred-panoptic "$work/data/test/panoptic.json" \
    --pred-dir "$work/data/test/panoptic" --pred-instances "$work/gt-instances.json" --out "$work/metrics-gt.json"
"$py" - "$work/metrics-gt.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
ok = m["panoptic"]["all"]["pq"] == 1.0 and m["semantic"]["miou"] == 1.0 and m["instance"]["AP"] == 1.0
print("ground truth vs ground truth:", "PQ = mIoU = AP = 100" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
"$py" shapes_world.py preview --out "$work/preview" --split test --count 3
echo "smoke test passed ($work)"
