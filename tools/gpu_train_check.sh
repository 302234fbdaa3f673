#!/usr/bin/env bash
# The GPU check behind docs/scale.md: the train stage under torchrun on a CUDA machine with no network.
# Carried in: .gpuwheels/ (hydra, omegaconf, pydantic, datasets wheels for the machine's Python), runs/gpu/pairs
# (a pairs dataset built here), runs/gpu/minilm16 (all-MiniLM-L6-v2 weights in fp16 to fit the transfer limit),
# runs/gpu/shared/nli/cad (the CAD files from ../shared, for nli=cad_before). Usage: tools/gpu_train_check.sh nli|bf16
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
common=(run_dir=runs/gpu model.name_or_path=runs/gpu/minilm mlflow.enabled=false data.shared_dir=runs/gpu/shared
        train.batch_size=32 force=true)
# ${1:-...}: which comparisons to run, e.g. "bf16" (precision) or "nli" (intermediate CAD training).
case "${1:-nli}" in
  bf16) runs=("runtime.bf16=false" "runtime.bf16=true") ;;
  nli)  runs=("nli=none runtime.bf16=false" "nli=cad_before runtime.bf16=false") ;;
esac
for run in "${runs[@]}"; do
  tag=$(echo "$run" | tr ' =' '__')
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  torchrun --standalone --nproc_per_node=1 -m quotecontra.cli train "${common[@]}" $run 2>&1 \
    | tee "$OUT/train_$tag.log" | grep -E "^\[train\]|^  |Error" || true
  echo "$run: train wall $(python3 -c "import time;print(round(time.time()-$start,1))") s" | tee -a "$OUT/summary.txt"
  # shellcheck disable=SC2086
  python3 -m quotecontra.cli evaluate "${common[@]}" $run "evaluate.sets=[synthetic,natural,cad]" \
    > "$OUT/evaluate_$tag.log" 2>&1 || tail -20 "$OUT/evaluate_$tag.log"
  cp runs/gpu/metrics.json "$OUT/metrics_$tag.json"
done
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv | tee -a "$OUT/summary.txt"
