"""Leave-generator-out estimate of transfer: one model per fold of 02 --folds, then one pooled report.

How well does a detector find the fakes of a generator it has never seen? 02_make_clips.py
--folds K cuts K clip folders: fold k tests the fakes of its generators and the real videos of its
people and trains on everything else but those people. This script trains the same model on every
fold (03 or 04 with the flags you give) and pools the K test splits with 05_evaluate.py --pool:
every video is then scored once, by a model that never saw its generator or its person. The
pooled video-level AUC, with its per-family and per-generator figures (by_family.csv,
by_method.csv), is the number that chooses a recipe (docs/real-footage.md, "Choosing by transfer").

With --seeds 0,1,2 the whole estimate is made once per seed: the seed's folds (DIR/seed_S, cut by
02 --folds --seed S, so the generators and people fall into other folds) trained with --seed S
(other initial weights, pseudo-fakes and batches), and 05 --pool scores every video by the mean of
its seeds' P(fake), with each seed's own AUC beside it (by_seed.csv): one run is one draw, and the
spread between seeds says how far a difference between two configurations can be trusted.

Reads   --clips DIR (from 02 --folds: DIR/fold_1 ... DIR/fold_K; with --seeds, DIR/seed_S/fold_K)
Writes  --runs DIR/fold_k/NAME (with --seeds, DIR/seed_S/fold_k/NAME: one training run per fold; an
        interrupted one resumes), and the pooled report DIR/report_NAME (05's results.csv,
        by_family.csv, by_method.csv, report.md, with --seeds by_seed.csv and seeds_NAME.csv, with
        --quality-check quality.csv, and folds.json: the command and each fold's best validation
        AUC, on its own val split)
Prints  the time each fold took and the pooled video AUC per family.

Run (from the repository root):
    python benchmarks/leave_generator_out.py --clips data/clips_logo --name c3d -- \\
        04_train_3dcnn.py --pseudo-fakes selfblend --input-size 64 --clip-len 16 --epochs 5
    python benchmarks/leave_generator_out.py --clips data/clips_logo --name base -- \\
        03_train_cnn_lstm.py --temporal mean --pseudo-fakes selfblend --input-size 64 --clip-len 16 --epochs 5
    python benchmarks/leave_generator_out.py --clips data/clips_logo --name c3d_real -- \\
        04_train_3dcnn.py --real-only --pseudo-fakes all --input-size 64 --clip-len 16 --epochs 5
Two processes (or machines sharing the folder) can share one estimate: run it with --folds 1,2 in
one and --folds 3,4 in the other, then once more without --folds, which finds the four finished
runs (they resume with nothing left to do) and writes the pooled report. On one machine, --jobs 2
does the same in one command. The estimate over all shared material, three seeds, two folds at once
(docs/real-footage.md gives the 02 loop that cuts data/clips_shared/seed_0 ... seed_2):
    python benchmarks/leave_generator_out.py --clips data/clips_shared --seeds 0,1,2 --jobs 2 \\
        --runs runs/shared --name lstm_g_sbi -- 03_train_cnn_lstm.py --pseudo-fakes selfblend \\
        --input-size 64 --clip-len 16 --clips-per-video 4 --epochs 5
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402


def easy_cues(folds: list[Path]) -> dict[str, float]:
    """The AUC of two numbers that say nothing about a face's dynamics, over the videos the folds
    test: the face's width in the frame (median box width, pixels) and the file's frame rate. A
    model that scores near one of them may have learnt it."""
    from sklearn.metrics import roc_auc_score

    settings = common.read_json(folds[0] / "settings.json")
    faces = Path(settings["faces"])
    index = {r["video_id"]: r for r in common.read_csv(faces / "index.csv")}
    tested = {r["video_id"]: r["label"] for fold in folds for r in common.read_csv(fold / "clips.csv")
              if r["split"] == "test"}
    y = [int(label) for label in tested.values()]
    width = [float(np.median(np.load(faces / f"{vid}.meta.npz")["boxes"][:, 2])) for vid in tested]
    fps = [float(index[vid]["native_fps"] or 0) for vid in tested]
    return {"face width": float(roc_auc_score(y, width)), "frame rate": float(roc_auc_score(y, fps))}


def fold_number(fold: Path) -> int:
    """fold_3 -> 3"""
    return int(fold.name.split("_")[1])


def seed_folders(clips: Path, seeds: list[int]) -> list[tuple[int | None, Path]]:
    """[(seed, folder holding fold_1 ... fold_K)]: clips/seed_S for each seed, or clips itself
    (seed None) when no --seeds are given. A seed folder must have been cut with that seed."""
    if not seeds:
        return [(None, clips)]
    out = []
    for seed in seeds:
        folder = clips / f"seed_{seed}"
        if not any(folder.glob("fold_*/clips.csv")):
            sys.exit(f"error: no folds for seed {seed} in {folder}: make them with\n  python 02_make_clips.py "
                     f"--faces FACES --out {folder} --folds K --seed {seed} [the same flags for every seed]")
        made = common.read_json(next(folder.glob("fold_*/settings.json"))).get("seed")
        if made != seed:
            sys.exit(f"error: {folder} was cut with --seed {made}, not {seed}: remake it with 02 --seed {seed}")
        out.append((seed, folder))
    return out


def fold_command(train: list[str], fold: Path, out: Path, seed: int | None) -> list[str]:
    """The training command of one fold: the same script and flags for every fold and seed, but
    the fold's clips, its run folder and, with --seeds, the seed (which draws the initial weights,
    the pseudo-fakes and the order of the batches). Nothing else changes between seeds."""
    command = [sys.executable, str(ROOT / train[0]), *train[1:], "--clips", str(fold), "--out", str(out)]
    if seed is not None:
        command += ["--seed", str(seed)]
    if (out / "last.pt").is_file():  # an interrupted (or finished) fold goes on where it stopped
        command.append("--resume")
    return command


def run_folds(jobs: list[tuple[str, list[str], Path]], parallel: int) -> None:
    """Train the folds, `parallel` at a time. One at a time, a fold prints to the terminal; several
    at a time, each writes its output to train.log in its run folder (else their progress bars
    would mix), and each gets an equal share of the CPU threads, so that they do not fight over them."""
    threads = max(1, (os.cpu_count() or 1) // parallel)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)} if parallel > 1 else None
    waiting, running = list(jobs), []
    while waiting or running:
        while waiting and len(running) < parallel:
            label, command, out = waiting.pop(0)
            print(f"== {label}: {' '.join(command[1:])}", flush=True)
            if parallel > 1:
                out.mkdir(parents=True, exist_ok=True)
                log = open(out / "train.log", "a")
                proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
            else:
                log, proc = None, subprocess.Popen(command)
            running.append((label, proc, log, time.time(), out))
        time.sleep(0.2 if parallel == 1 else 2)
        for job in list(running):
            label, proc, log, t0, out = job
            if proc.poll() is None:
                continue
            running.remove(job)
            if log:
                log.close()
            if proc.returncode:
                for _, other, *_ in running:  # one failed fold fails the estimate: stop the others too
                    other.terminate()
                sys.exit(f"error: {label} failed (exit {proc.returncode})"
                         + (f"; its output is in {out / 'train.log'}" if log else "")
                         + ". Run this command again once it is fixed: finished folds are kept and resume.")
            print(f"== {label} took {time.time() - t0:.0f} s", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", required=True,
                   help="the folder 02_make_clips.py --folds wrote (fold_1 ... fold_K), or with --seeds the folder "
                        "that holds one such folder per seed (seed_0/fold_1 ...)")
    p.add_argument("--runs", default="runs/logo", help="where the fold runs and the pooled report go (default: %(default)s)")
    p.add_argument("--name", required=True, help="the run's name: runs/logo/fold_k/NAME, report runs/logo/report_NAME")
    p.add_argument("--seeds", default="",
                   help="several seeds, e.g. 0,1,2: each seed's folds (CLIPS/seed_S, from 02 --folds --seed S) "
                        "trained with --seed S, runs in RUNS/seed_S/fold_k/NAME; the report scores the seed-averaged "
                        "P(fake) of every video and gives each seed's AUC beside it (default: one run of --clips)")
    p.add_argument("--folds", default="",
                   help="train only these folds, e.g. 1,2, and write no report (to share the work between processes)")
    p.add_argument("--jobs", type=int, default=1,
                   help="train this many folds at once, each with an equal share of the CPU's threads; 2 on a "
                        "2-core machine (docs/benchmarks.md, 'The leave-generator-out estimate') (default: %(default)s)")
    p.add_argument("--quality-check", action="store_true",
                   help="05's quality check on the pooled report: how far blur, half resolution and JPEG move the "
                        "real test videos' mean P(fake) (quality.csv; about three times the evaluation's time)")
    p.add_argument("train", nargs=argparse.REMAINDER,
                   help="after --: the training script (03_train_cnn_lstm.py or 04_train_3dcnn.py) and its flags")
    args = p.parse_args(argv)
    train = [a for a in args.train if a != "--"]
    if not train or train[0] not in ("03_train_cnn_lstm.py", "04_train_3dcnn.py"):
        p.error("give the training script and its flags after --, e.g. -- 04_train_3dcnn.py --epochs 5")
    try:
        seeds = [int(k) for k in args.seeds.split(",") if k.strip()]
        wanted = {int(k) for k in args.folds.split(",") if k.strip()}
    except ValueError:
        p.error("--seeds and --folds take whole numbers separated by commas, e.g. --seeds 0,1,2 --folds 1,2")
    if seeds and "--seed" in train:
        p.error("--seeds sets each run's --seed: leave --seed out of the training flags")
    if args.jobs < 1:
        p.error("--jobs takes 1 or more")
    jobs, runs = [], []
    for seed, clips in seed_folders(Path(args.clips), seeds):
        folds = sorted(clips.glob("fold_*"), key=fold_number)
        if not folds:
            sys.exit(f"error: no fold_* folders in {clips}: make them with 02_make_clips.py --folds K")
        missing = wanted - {fold_number(f) for f in folds}
        if missing:
            p.error(f"--folds: no fold_{min(missing)} in {clips}")
        runs_dir = Path(args.runs) / (f"seed_{seed}" if seed is not None else "")
        for fold in folds:
            out = runs_dir / fold.name / args.name
            runs.append(out)
            if not wanted or fold_number(fold) in wanted:
                label = (f"seed {seed}, " if seed is not None else "") + fold.name
                jobs.append((label, fold_command(train, fold, out, seed), out))
    run_folds(jobs, args.jobs)
    if args.folds:
        print(f"trained folds {args.folds}; once every fold is done, run this command again without --folds "
              "for the pooled report")
        return
    report = Path(args.runs) / f"report_{args.name}"
    subprocess.run([sys.executable, str(ROOT / "05_evaluate.py"), "--pool", "--runs", *map(str, runs),
                    "--out", str(report), *(["--quality-check"] if args.quality_check else [])], check=True)
    # Beside it, what each fold's own validation said (its best epoch): on seen generators and on
    # pseudo-fakes of held-out people. The two numbers can be far apart; only the pooled one
    # measures transfer to generators never seen.
    val = [max(float(r["val_auc"]) for r in common.read_csv(run / "metrics.csv")) for run in runs]
    cues = easy_cues([f for _, clips in seed_folders(Path(args.clips), seeds[:1]) for f in sorted(clips.glob("fold_*"))])
    common.write_json(report / "folds.json", {"name": args.name, "train": train, "seeds": seeds, "val_auc": val,
                                              "mean_val_auc": float(sum(val) / len(val)), "cues": cues})
    video = next(r for r in common.read_csv(report / "results.csv") if r["level"] == "video")
    print(f"validation AUC of the folds (their own val splits): {', '.join(f'{v:.3f}' for v in val)}")
    print("cues that are not facial dynamics, alone, on the same test videos (AUC, higher value = fake): "
          + ", ".join(f"{k} {v:.3f}" for k, v in cues.items()))
    print(f"\n{args.name}: pooled video AUC {float(video['auc']):.3f} [{float(video['auc_ci_low']):.3f}, "
          f"{float(video['auc_ci_high']):.3f}] over {video['n']} videos ({video['n_real']} real, {video['n_fake']} fake)"
          + (f"; the seeds' own AUCs {float(video['auc_seed_mean']):.3f} +- {float(video['auc_seed_sd']):.3f}"
             if video.get("seeds") else ""))
    for r in common.read_csv(report / "by_family.csv"):
        if r["level"] == "video":
            print(f"  {r['family']:<13} {float(r['auc']):.3f} [{float(r['auc_ci_low']):.3f}, {float(r['auc_ci_high']):.3f}]"
                  f"  ({r['n_fake']} fakes: {r['methods']})")


if __name__ == "__main__":
    main()
