#!/usr/bin/env bash
# The CUDA path in one go, on a machine with an NVIDIA GPU: the demo and the real-footage recipe's
# training with --precision auto (bf16 where the GPU has it), pinned memory and loader processes;
# benchmarks/bench_train.py on the GPU (loader vs in-memory clips/s); a bigger configuration a Colab
# user might pick (96-px crops, models twice as wide). Prints every step's seconds and exit status
# and copies the results into OUT. CI never runs this: it needs a GPU.
#
# Usage (from anywhere): bash benchmarks/gpu_check.sh VIDEOS OUT
#   VIDEOS  a folder with train_videos.csv (real videos to learn from) and test_videos.csv (videos to
#           judge), manifests as in the README; the files they name, relative to that folder
#   OUT     where the results and the log go
set -uo pipefail
R=$(cd "$(dirname "$0")/.." && pwd)
V=$(cd "${1:?give the folder of train_videos.csv and test_videos.csv}" && pwd)
OUT=$(mkdir -p "${2:?give an output folder}" && cd "$2" && pwd)
export PYTHONUNBUFFERED=1
W=$(mktemp -d)
cd "$W" || exit 1
py() { python3 "$@"; }

step() {  # run one command, print its wall time and exit status; go on whatever happens
  echo "== $*"
  local t0=$SECONDS
  "$@"
  echo "== exit $? after $((SECONDS - t0)) s: $*"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
py -c "import torch, cv2; print('torch', torch.__version__, '| CUDA', torch.version.cuda, '|', torch.cuda.get_device_name(0),
'| bf16:', torch.cuda.is_bf16_supported(), '| OpenCV', cv2.__version__, '| Haar:', hasattr(cv2, 'CascadeClassifier'))"

# 1. The demo on the GPU (YuNet: OpenCV 5 has no Haar cascades, and the demo's drawn faces suit it).
step py "$R/01_extract_faces.py" --demo --detector yunet
step py "$R/02_make_clips.py"
step py "$R/03_train_cnn_lstm.py"
step py "$R/03_train_cnn_lstm.py" --temporal mean --out runs/frame_baseline
step py "$R/04_train_3dcnn.py"
step py "$R/05_evaluate.py"
cp runs/report/results.csv "$OUT/demo_results.csv"

# 2. The real-footage recipe's training on the GPU, then its evaluation on the videos to judge.
step py "$R/01_extract_faces.py" --manifest "$V/train_videos.csv" --out data/faces_real
step py "$R/01_extract_faces.py" --manifest "$V/test_videos.csv" --out data/faces_dev
step py "$R/02_make_clips.py" --faces data/faces_real --out data/clips_real --test 0 --seed 1
step py "$R/02_make_clips.py" --faces data/faces_dev --out data/clips_dev --all-test
step py "$R/04_train_3dcnn.py" --clips data/clips_real --pseudo-fakes all --out runs/real/c3d
step py "$R/03_train_cnn_lstm.py" --clips data/clips_real --pseudo-fakes all --out runs/real/cnn_lstm
step py "$R/05_evaluate.py" --runs runs/real/c3d runs/real/cnn_lstm --clips data/clips_dev --out runs/report_real
cp runs/report_real/results.csv "$OUT/real_results.csv"

# 3. Loader vs in-memory training speed on the GPU (goal: a ratio of 0.8 or more).
step py "$R/benchmarks/bench_train.py" --device cuda --detector yunet --identities 20 --epochs 2

# 4. What a Colab user with a GPU might pick: 96-px crops, models twice as wide.
step py "$R/01_extract_faces.py" --manifest "$V/train_videos.csv" --out data/faces_real96 --size 96
step py "$R/02_make_clips.py" --faces data/faces_real96 --out data/clips_real96 --test 0 --seed 1
step py "$R/04_train_3dcnn.py" --clips data/clips_real96 --pseudo-fakes all --width 32 --out runs/big/c3d
step py "$R/03_train_cnn_lstm.py" --clips data/clips_real96 --pseudo-fakes all --width 32 --out runs/big/cnn_lstm
for run in runs/real/c3d runs/real/cnn_lstm runs/big/c3d runs/big/cnn_lstm; do
  cp "$run/metrics.csv" "$OUT/metrics_$(echo "$run" | tr / _).csv" 2>/dev/null
done
echo "== done"
