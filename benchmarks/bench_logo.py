"""What a leave-generator-out estimate costs: the convolutions' memory layout, and one fold at a time or two at once.

A leave-generator-out estimate (benchmarks/leave_generator_out.py) trains one model per fold, and
the folds do not depend on each other. PyTorch can spread one training over both cores (two
threads), or two trainings can run side by side on one core each (--jobs 2). The small models
here keep two threads only partly busy (small convolutions, an LSTM step by step, a data loader
that makes pseudo-fakes), so two processes should get more done. This script measures it: it
trains two folds of the same clips for a short budget, first one after the other with two threads
each, then both at once with one thread each, and prints the wall-clock time of each way and
their ratio. Before that, it times training steps of the model (a batch of 32 clips of 16 frames
at 64 px, one thread) in PyTorch's default memory layout and in channels last (common.CHANNELS_LAST),
taking turns in one process. Run it on an otherwise idle machine: the ratios, not the seconds,
are the result.

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


def layout_steps(script: str, rounds: int = 4) -> dict[str, float]:
    """Seconds per training step (forward, backward, AdamW) of the script's model in each memory
    layout, one thread, the two layouts taking turns so that a busy machine slows both alike."""
    import torch

    sys.path.insert(0, str(ROOT))
    import common

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y = torch.randn(32, 16, 3, 64, 64), torch.randint(0, 2, (32,)).float()
    models = {}
    for name, channels_last in (("default", False), ("channels last", True)):
        common.CHANNELS_LAST = channels_last  # read when a model is built and on every forward
        model = common.C3D() if script.startswith("04") else common.CNNLSTM()
        models[name] = (model, torch.optim.AdamW(model.parameters()), channels_last)
    seconds = dict.fromkeys(models, 0.0)
    for _ in range(rounds + 1):  # the first round warms up and is not counted
        for name, (model, opt, channels_last) in models.items():
            common.CHANNELS_LAST = channels_last
            t0 = time.perf_counter()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seconds[name] += (time.perf_counter() - t0) if _ else 0.0
    common.CHANNELS_LAST = True
    return {name: s / rounds for name, s in seconds.items()}


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
    steps = layout_steps(args.script)
    print(f"{args.script}, one training step of 32 clips (16 x 64 x 64), one thread:")
    for name, sec in steps.items():
        print(f"  {name:<14} {sec:6.2f} s")
    print(f"  channels last takes {steps['channels last'] / steps['default']:.2f} of the time\n", flush=True)
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
