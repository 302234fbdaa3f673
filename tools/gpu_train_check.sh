#!/usr/bin/env bash
# The GPU check behind docs/scale.md: the train stage under torchrun on a CUDA machine with no network.
# Carried in: .gpuwheels/ (hydra, omegaconf, pydantic, datasets wheels for the machine's Python), runs/gpu/pairs
# (a pairs dataset built here), runs/gpu/minilm16 (all-MiniLM-L6-v2 weights in fp16 to fit the transfer limit).
set -euo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
python3 -m pip install -q --no-deps --no-index .gpuwheels/*.whl
python3 - <<'PY'
import os, shutil, torch
from safetensors.torch import load_file, save_file
src, dst = "runs/gpu/minilm16", "runs/gpu/minilm"
os.makedirs(dst, exist_ok=True)
for f in os.listdir(src):
    if f != "model16.safetensors":
        shutil.copy(os.path.join(src, f), dst)
save_file({k: v.float() for k, v in load_file(f"{src}/model16.safetensors").items()}, f"{dst}/model.safetensors")
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))
PY
export PYTHONPATH=src MLFLOW_DISABLE_TELEMETRY=true HF_HUB_OFFLINE=1
common=(run_dir=runs/gpu model.name_or_path=runs/gpu/minilm mlflow.enabled=false data.shared_dir=/nonexistent)
for prec in false true; do
  start=$(date +%s.%N)
  torchrun --standalone --nproc_per_node=1 -m quotecontra.cli train "${common[@]}" train.bf16=$prec \
    train.batch_size=32 force=true 2>&1 | tee "$OUT/train_bf16_$prec.log" | grep -E "^\[train\]|^  |Error|error" || true
  echo "train bf16=$prec wall $(python3 -c "import time;print(round(time.time()-$start,1))") s" | tee -a "$OUT/summary.txt"
  python3 -m quotecontra.cli evaluate "${common[@]}" "evaluate.sets=[synthetic,natural]" force=true \
    > "$OUT/evaluate_bf16_$prec.log" 2>&1 || tail -20 "$OUT/evaluate_bf16_$prec.log"
  cp runs/gpu/metrics.json "$OUT/metrics_bf16_$prec.json"
done
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv | tee -a "$OUT/summary.txt"
