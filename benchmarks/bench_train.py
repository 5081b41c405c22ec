"""Benchmark of training: is the data path the bottleneck, and does memory grow with the data?

Prints, in one run, for the CNN-LSTM (03's defaults) and the C3D (04's defaults):
  - training clips/s with the real data loader: ClipDataset reading windows of the memory-mapped
    face arrays, augmentation, the DataLoader and sampler that 03/04 build, as many loader
    processes as 03/04 would use (--workers), the same training step as 03/04;
  - training clips/s on the same clips already in memory (batched once, on the device): the same
    step, compute only; the two take turns every few batches in one process, so that whatever
    else the machine does slows both alike;
  - their ratio (1.00 = loading costs nothing);
  - the peak resident memory (ru_maxrss) of a process training on the demo set and on one twice
    as large, fed by the loader (face arrays read lazily: the peak should stay the same) and by
    every clip held in memory (the peak grows with the data). Each memory measurement runs in a
    process of its own, with glibc's malloc told to hand large blocks straight back to the
    system (MALLOC_MMAP_THRESHOLD_): by default its peak wanders by 100 MB or more from one run
    to the next whatever the data, which would hide what training itself holds.

The demo sets are made in a temporary folder with 01 and 02 (--identities, and twice as many).

Run (from the repository root):
    python benchmarks/bench_train.py                         # CPU; about 5 minutes on 2 cores
    python benchmarks/bench_train.py --device cuda           # a GPU: mixed precision, pinned memory, workers
    python benchmarks/bench_train.py --identities 20 --epochs 1   # quicker
"""

import argparse
import importlib
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402

SCRIPTS = {"cnn_lstm": "03_train_cnn_lstm", "c3d": "04_train_3dcnn"}
TURN = 5  # batches per turn when the loader and the in-memory clips take turns


def setup(args, passes: int):
    """What 03/04 set up before their first epoch (their default flags), for `passes` epochs."""
    script = importlib.import_module(SCRIPTS[args.model])
    train_args = script.parse_args(["--clips", args.clips, "--device", args.device, "--workers", args.workers,
                                    "--epochs", str(passes)])
    common.seed_everything(train_args.seed)
    model = common.build_model({"model": args.model, **vars(train_args)})  # as 03/04 build it
    device = common.pick_device(train_args.device)
    train_rows, val_rows, faces_dir, _ = common.read_splits(train_args)
    train_set, val_set, _ = common.clip_datasets(train_args, train_rows, val_rows, faces_dir)
    amp_dtype = common.pick_precision(train_args.precision, device)
    workers = common.resolve_workers(train_args.workers, device)
    sampler, loader, _ = common.make_loaders(train_set, val_set, train_args.batch_size, workers, device, train_args.seed)
    model = model.to(device)
    optimizer, scheduler = common.make_optimizer(model, train_args, len(loader))
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None  # as 03/04
    step = {"loss_fn": common.balanced_loss(train_rows, device), "device": device, "optimizer": optimizer,
            "scheduler": scheduler, "scaler": scaler, "amp_dtype": amp_dtype, "clip_grad": train_args.clip_grad}
    about = {"device": str(device), "workers": workers, "precision": str(amp_dtype or "fp32").replace("torch.", "")}
    return model, loader, sampler, train_set, step, about


def measure_speed(args) -> dict:
    """Clips/s of training fed by the loader and by the same clips held in memory.

    The two take turns, a few batches each, in this one process: whatever else the machine does
    meanwhile (other programs, clock changes) slows both alike, so their ratio stays fair.
    """
    model, loader, sampler, train_set, step, about = setup(args, passes=2 * (1 + args.epochs))
    # The same clips, decoded, augmented and batched once, already on the device: compute only.
    batches = [(x.to(step["device"]), y.to(step["device"])) for x, y in loader]
    seconds, clips = {"loader": 0.0, "memory": 0.0}, {"loader": 0, "memory": 0}
    for epoch in range(1 + args.epochs):  # epoch 0 warms up (allocations, caches); not timed
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        fetch = iter(loader)  # loader processes, if any, start here and prefetch as in training
        for i in tqdm(range(0, len(batches), TURN), desc=f"{args.model} epoch {epoch}", unit="turn", disable=None):
            for mode, data in (("loader", itertools.islice(fetch, TURN)), ("memory", batches[i : i + TURN])):
                t0 = time.perf_counter()
                # run_epoch reads its results back to the CPU, so a GPU has finished when it returns.
                _, y, _ = common.run_epoch(model, data, **step, show=False)
                if epoch > 0:
                    seconds[mode] += time.perf_counter() - t0
                    clips[mode] += len(y)
    return {**about, **{mode: clips[mode] / seconds[mode] for mode in seconds}}


def measure_memory(args) -> dict:
    """Peak resident memory of a process that trains one epoch (after a warm-up one), fed by the
    loader or by every clip held in memory."""
    model, loader, sampler, train_set, step, about = setup(args, passes=2)
    if args.mode == "memory":
        loader = [(x.to(step["device"]), y.to(step["device"])) for x, y in loader]
    for epoch in range(2):
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        common.run_epoch(model, loader, **step, desc=f"{args.model} {args.mode} epoch {epoch}")
    return {**about, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # Linux: in kB


def child(args, model: str, mode: str, clips: Path, env: dict | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--model", model, "--clips", str(clips), "--epochs",
           str(args.epochs), "--device", args.device, "--workers", args.workers]
    result = subprocess.run(cmd, cwd=clips.parent, capture_output=True, text=True,  # 02 records faces/ relative to it
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        sys.exit(f"error: the {model} {mode} measurement failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def make_demo(work: Path, identities: int, detector: str) -> Path:
    """A demo set made by 01 and 02 as a user makes it; returns its clips folder."""
    for cmd in (["01_extract_faces.py", "--demo", "--identities", str(identities), "--videos", "videos", "--out", "faces",
                 "--detector", detector],
                ["02_make_clips.py", "--faces", "faces", "--out", "clips"]):
        result = subprocess.run([sys.executable, str(ROOT / cmd[0]), *cmd[1:]], cwd=work, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"error: {cmd[0]} failed:\n{result.stderr[-2000:]}")
    return work / "clips"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--identities", type=int, default=40, help="people in the smaller demo set; the larger has twice as many (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs of each speed measurement, after one warm-up epoch (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    p.add_argument("--workers", default="auto", help="loader processes, as in 03/04 (default: %(default)s)")
    p.add_argument("--detector", default="haar", choices=["haar", "yunet"],
                   help="face detector of the demo sets: haar as in the demo; yunet where OpenCV 5 has no Haar (default: %(default)s)")
    p.add_argument("--child", choices=["speed", "loader", "memory"], default=None, help=argparse.SUPPRESS)
    p.add_argument("--model", choices=list(SCRIPTS), default="cnn_lstm", help=argparse.SUPPRESS)
    p.add_argument("--clips", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        args.mode = args.child
        print(json.dumps(measure_speed(args) if args.child == "speed" else measure_memory(args)))
        return

    small, large = args.identities, 2 * args.identities
    # glibc's malloc keeps freed large blocks for reuse and adapts its threshold as it goes, so a
    # process's peak wanders from run to run; with a fixed threshold it is what training holds.
    # Speed is measured with the defaults, as users run it.
    fixed_malloc = {"MALLOC_MMAP_THRESHOLD_": "131072"}
    speed, memory = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = {}
        for n in (small, large):
            (Path(tmp) / str(n)).mkdir()
            print(f"making a demo set of {n} people ...", flush=True)
            sets[n] = make_demo(Path(tmp) / str(n), n, args.detector)
        sizes = {n: (sum(f.stat().st_size for f in (clips.parent / "faces").glob("*.npy")) / 2**20,
                     sum(1 for r in common.read_csv(clips / "clips.csv") if r["split"] == "train"))
                 for n, clips in sets.items()}
        for model in SCRIPTS:
            print(f"measuring {model}: speed ...", flush=True)
            speed[model] = child(args, model, "speed", sets[small])
            lo, mem = speed[model]["loader"], speed[model]["memory"]
            # printed at once: a run cut short (a GPU lease running out) keeps what it measured
            print(f"  {model}: loader {lo:.1f} clips/s, in memory {mem:.1f} clips/s, ratio {lo / mem:.2f}", flush=True)
        for model in SCRIPTS:
            for mode in ("loader", "memory"):
                for n in sets:
                    print(f"measuring {model}: peak memory, {mode}, {n} people ...", flush=True)
                    memory[model, mode, n] = child(args, model, mode, sets[n], fixed_malloc)["peak_rss_mb"]

    first = speed["cnn_lstm"]
    print(f"\ndevice {first['device']}, precision {first['precision']}, {first['workers']} loader workers, batch size "
          f"as in 03/04")
    for n in sets:
        print(f"demo set of {n} people: {sizes[n][1]} training clips, face arrays {sizes[n][0]:.0f} MB on disk")
    print(f"\ntraining speed, {small} people: {args.epochs} epochs after a warm-up one, loader and in-memory "
          f"taking turns every {TURN} batches")
    print(f"{'model':<9} {'loader clips/s':>14} {'in-memory clips/s':>17} {'ratio':>6}")
    for model in SCRIPTS:
        lo, mem = speed[model]["loader"], speed[model]["memory"]
        print(f"{model:<9} {lo:>14.1f} {mem:>17.1f} {lo / mem:>6.2f}")
    print("\npeak resident memory (ru_maxrss) of one epoch after a warm-up one, MALLOC_MMAP_THRESHOLD_=131072")
    print(f"{'model':<9} {'data path':<10} {f'{small} people':>11} {f'{large} people':>11} {'difference':>10}")
    for model in SCRIPTS:
        for mode in ("loader", "memory"):
            a, b = memory[model, mode, small], memory[model, mode, large]
            print(f"{model:<9} {mode:<10} {a:>8.0f} MB {b:>8.0f} MB {b - a:>+7.0f} MB")


if __name__ == "__main__":
    main()
