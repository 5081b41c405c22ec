"""How to spend two cores on a leave-generator-out estimate: one fold at a time, or two at once?

A leave-generator-out estimate (benchmarks/leave_generator_out.py) trains one model per fold, and
the folds do not depend on each other. PyTorch can spread one training over both cores (two
threads), or two trainings can run side by side on one core each (--jobs 2). The small models
here keep two threads only partly busy (small convolutions, an LSTM step by step, a data loader
that makes pseudo-fakes), so two processes should get more done. This script measures it: it
trains two folds of the same clips for a short budget, first one after the other with two threads
each, then both at once with one thread each, and prints the wall-clock time of each way and
their ratio. Run it on an otherwise idle machine: the ratio, not the seconds, is the result.

Reads   --clips DIR (a folder of fold_1, fold_2, ... from 02_make_clips.py --folds)
Writes  nothing that stays (the runs go to a temporary folder)
Run:
    python benchmarks/bench_logo.py --clips data/clips_shared/seed_0
    python benchmarks/bench_logo.py --clips data/clips_shared/seed_0 --script 04_train_3dcnn.py
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", required=True, help="a folder of folds from 02_make_clips.py --folds (fold_1, fold_2, ...)")
    p.add_argument("--script", default="03_train_cnn_lstm.py", choices=["03_train_cnn_lstm.py", "04_train_3dcnn.py"],
                   help="the training script (default: %(default)s)")
    p.add_argument("--clips-per-video", type=int, default=1,
                   help="clips per video and epoch: the budget of each training (default: %(default)s)")
    args = p.parse_args(argv)
    folds = [Path(args.clips) / "fold_1", Path(args.clips) / "fold_2"]
    if not all((f / "clips.csv").is_file() for f in folds):
        sys.exit(f"error: {args.clips} has no fold_1 and fold_2: make them with 02_make_clips.py --folds K")
    flags = ["--pseudo-fakes", "selfblend", "--input-size", "64", "--clip-len", "16", "--epochs", "1",
             "--clips-per-video", str(args.clips_per_video)]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        def command(fold: Path, name: str) -> list[str]:
            return [sys.executable, str(ROOT / args.script), *flags, "--clips", str(fold), "--out", f"{tmp}/{name}"]

        t0 = time.time()  # one after the other, every core's thread for each
        for k, fold in enumerate(folds):
            subprocess.run(command(fold, f"seq{k}"), check=True, capture_output=True,
                           env={**os.environ, "OMP_NUM_THREADS": str(cores)})
        one_at_a_time = time.time() - t0
        t0 = time.time()  # side by side, one thread each
        procs = [subprocess.Popen(command(fold, f"par{k}"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "OMP_NUM_THREADS": str(max(1, cores // 2))})
                 for k, fold in enumerate(folds)]
        if any(proc.wait() for proc in procs):
            sys.exit("error: a training failed; run its command by hand to see why")
        two_at_once = time.time() - t0
    print(f"{args.script}, two folds of {args.clips}, one epoch of {args.clips_per_video} clip(s) per video, "
          f"{cores} cores:")
    print(f"  one after the other, {cores} threads each: {one_at_a_time:7.1f} s")
    print(f"  two at once, {max(1, cores // 2)} thread(s) each:     {two_at_once:7.1f} s")
    print(f"  two at once takes {two_at_once / one_at_a_time:.2f} of the time")


if __name__ == "__main__":
    main()
