"""Step 5: test every trained model and write a report; or judge one video.

Reads   every run folder under runs/ that holds a best.pt (or the folders given to --runs), the
        validation split it was trained with (to choose a decision threshold) and the test split
        of --clips (default: the clips it was trained on; another dataset's for cross-dataset tests)
Writes  --out (default runs/report):
          results.csv              one row per model and level (clip, video): accuracy, balanced
                                   accuracy, precision, recall, F1, ROC-AUC, AP, MSE (Brier), EER,
                                   APCER/BPCER/ACER, at 0.5 and at the validation threshold, and
                                   bootstrap 95% intervals of video-level AUC and accuracy
          by_method.csv            detection per manipulation method (each method's fakes vs all reals),
                                   with bootstrap 95% intervals of its video-level AUC
          predictions_<model>.csv  every test clip's and video's P(fake)
          roc_*.png, confusion_*.png, scores_*.png, training_curves.png
          report.md                the tables and figures, ready for a paper's Results section, with
                                   the data that tested the models and the data each learned from
          results.tex, by_method.tex   the same tables in LaTeX, for a paper to include as they are
A video's score is the mean of its clips' P(fake). The threshold "val" is the equal-error-rate
point of the validation split (never the test split): there, fakes missed = reals flagged.

The code: evaluate_run() and main() below; each run's model is rebuilt from its config by
common.build_model (common.py, section 7 "Models": class CNNLSTM or class C3D); the scores are
common.binary_metrics, common.equal_error_rate and common.bootstrap_ci (section 9 "Metrics"), the
figures section 10 "Plots"; --video is judge_video() below, with common.extract_faces (section 3).
In what order to read them: docs/reading-the-code.md.

Run:
    python 05_evaluate.py                                   # every run under runs/
    python 05_evaluate.py --runs runs/cnn_lstm runs/c3d --out runs/report_main
    python 05_evaluate.py --perturb jpeg:30 --out runs/report_jpeg30      # robustness
    python 05_evaluate.py --clips other_dataset/clips --out runs/report_cross  # cross-dataset
    python 05_evaluate.py --runs runs/real/c3d runs/real/cnn_lstm --clips data/clips_dev --out runs/report_real
    python 05_evaluate.py --runs runs/real/c3d --clips data/clips_dev --pseudo-fakes all --out runs/report_pseudo
    python 05_evaluate.py --video my_clip.mp4               # one verdict, each model's P(fake) (no runs/: weights/)
    python 05_evaluate.py --video my_clip.mp4 --save-plot   # and the per-clip timeline, drawn (--timeline: printed)
One report holds one test set: runs trained on different clips are refused together (05 says how
to evaluate each set), unless --clips tests them all on one.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

import common

LEVELS = ("clip", "video")
SCORES = ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "auc", "ap", "mse", "eer",
          "apcer", "bpcer", "acer", "tn", "fp", "fn", "tp"]
AT_VAL = ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "apcer", "bpcer", "acer"]
# The video-level scores that get a 95% bootstrap interval (resampling the test videos): at the
# thresholds 0.5 and, for the *_val ones, the validation threshold.
INTERVALS = ("auc", "accuracy", "balanced_accuracy", "f1", "mse", "eer", "accuracy_val", "balanced_accuracy_val", "f1_val")
# With --pool over several seeds: how many, and the mean and spread of each seed's own video AUC
# (the `auc` column scores the seed-averaged P(fake)); and, where the faces are at hand, the rank
# correlation of the video scores with the face crops' sharpness (a model that reads footage
# quality shows it here).
SEED_FIELDS = ["seeds", "auc_seed_mean", "auc_seed_sd", "spearman_sharpness"]
RESULT_FIELDS = (["model", "level", "n", "n_real", "n_fake"] + SCORES + ["threshold_val"] + [f"{k}_val" for k in AT_VAL]
                 + [f"{k}_ci_{end}" for k in INTERVALS for end in ("low", "high")] + SEED_FIELDS
                 + ["perturb", "trained_on", "tested_on"])
SEED_AUC_FIELDS = ["model", "seed", "family", "n_fake", "n_real", "auc"]
# The quality check (--quality-check): degradations that change how a real video looks and not
# whether it is real. A detector whose P(fake) moves with them, or whose scores follow the face
# crops' sharpness, reads footage quality rather than the face (docs/model-card.md).
QUALITY_CHECKS = ("blur:1.5", "resize:0.5", "jpeg:30")
QUALITY_LIMITS = {"shift": 0.05, "spearman": 0.2}
QUALITY_FIELDS = ["model", "check", "n_real", "before", "after", "shift", "limit", "passed"]
METHOD_FIELDS = ["model", "level", "method", "n_fake", "n_real", "auc", "auc_ci_low", "auc_ci_high", "detected",
                 "detected_val"]
FAMILY_FIELDS = ["model", "level", "family", "methods", "n_fake", "n_real", "auc", "auc_ci_low", "auc_ci_high",
                 "detected", "detected_val"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", nargs="+", default=None, help="run folders to evaluate (default: every folder under runs/ with a best.pt)")
    p.add_argument("--clips", default=None, help="clips folder to test on (default: the one each run was trained on)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"], help="which split to score (default: %(default)s)")
    p.add_argument("--out", default="runs/report", help="report folder (default: %(default)s)")
    p.add_argument("--perturb", action="append", default=[],
                   help="degrade the test faces: jpeg:Q, blur:SIGMA, noise:STD, resize:FACTOR; "
                        "combine with commas or repeat the flag (default: none)")
    p.add_argument("--pseudo-fakes", type=common.parse_pseudo_fakes, default=[], metavar="METHODS",
                   help="test pseudo-fake families instead of genuine fakes: the split's real clips and a fake of "
                        f"each by every method (all, or a list of {', '.join(common.PSEUDO_FAKES)}); by_method.csv "
                        "then breaks detection down by family, on people held out of training (default: none)")
    p.add_argument("--pool", action="store_true",
                   help="leave-generator-out cross-validation (02 --folds): runs of the same name (the folder, e.g. "
                        "runs/logo/fold_*/c3d) were trained on different folds; each scores its own fold's test "
                        "split, and their scores are pooled into one test set in which every video was scored by a "
                        "model that never saw its generator or its person (default: each run on its own)")
    p.add_argument("--quality-check", action="store_true",
                   help="also score the test split's real videos blurred (blur:1.5), at half resolution (resize:0.5) "
                        "and compressed (jpeg:30), and report how far each moves their mean P(fake), beside the rank "
                        "correlation of the video scores with the face crops' sharpness: a detector of fakes should "
                        "not call a softer real video fake (quality.csv; a warning past a shift of "
                        f"{QUALITY_LIMITS['shift']} or a correlation of {QUALITY_LIMITS['spearman']}) (default: off)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples of the test videos for the 95%% intervals (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and of the noise perturbation (default: %(default)s)")
    p.add_argument("--video", default=None, help="judge this one video instead of writing a report")
    p.add_argument("--save-plot", nargs="?", const="", default=None, metavar="PNG",
                   help="with --video: draw the per-clip timeline (default file: OUT/<video name>_timeline.png)")
    p.add_argument("--timeline", action="store_true",
                   help="with --video: also print every clip's P(fake), by time (default: the verdict only)")
    p.add_argument("--batch-size", type=int, default=32, help="clips per forward pass (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    args = p.parse_args(argv)
    if args.pool and (args.clips or args.video):
        p.error("--pool scores each fold's run on its own fold's test split: it takes neither --clips nor --video")
    try:
        args.perturbations = common.parse_perturbations(args.perturb)
    except ValueError as err:
        p.error(str(err))
    return args


# The models the repository ships, trained on real talking faces and genuine fakes (README, "Shipped weights"):
# what --video uses when nothing has been trained here.
SHIPPED = Path(__file__).resolve().parent / "weights"
# The shipped verdict: the mean of two CNN-LSTMs, one reading the mouth band, one the lips at the crop's own
# resolution. On generators left out it scores above the mean of the mouth band and the C3D, the verdict it
# replaced, by a paired comparison over the same videos (docs/real-footage.md, "The recipe"); the C3D still
# ships, for the comparison of the two temporal models: --runs weights/cnn_lstm weights/cnn_lstm_lips weights/c3d
# averages all three.
VERDICT = ("cnn_lstm", "cnn_lstm_lips")


def find_runs(args) -> list[Path]:
    runs = [Path(r) for r in args.runs] if args.runs else sorted(p.parent for p in Path("runs").glob("*/best.pt"))
    if not runs and args.video and not args.runs:
        runs = [SHIPPED / name for name in VERDICT]
        print(f"no trained model under runs/: judging with the shipped weights in {SHIPPED}, {' and '.join(VERDICT)} "
              "(trained on real talking faces and genuine fakes; README, 'Shipped weights')")
    absent = [r for r in runs if not r.is_dir()]
    if absent:  # a typo in --runs: no folder to skip quietly, the user meant another
        there = sorted(p.parent for p in Path("runs").glob("*/best.pt"))
        sys.exit(f"error: --runs {' '.join(map(str, absent))}: does not exist"
                 + (f". The trained runs under runs/: {' '.join(map(str, there))}" if there else
                    ". Train one first: python 03_train_cnn_lstm.py"))
    missing = [r for r in runs if not (r / "best.pt").is_file()]
    for r in missing:
        print(f"warning: {r} has no best.pt (not trained, or training was interrupted before epoch 1); skipped")
    runs = [r for r in runs if r not in missing]
    if not runs:
        sys.exit("error: no trained model found. Train one first: python 03_train_cnn_lstm.py")
    return runs


def run_config(run: Path) -> dict:
    """A run's settings: its config.json, or the copy inside best.pt."""
    if (run / "config.json").is_file():
        return common.read_json(run / "config.json")
    return torch.load(run / "best.pt", map_location="cpu", weights_only=True)["config"]


def refuse_mixed_test_sets(runs: list[Path], args) -> None:
    """One report holds one test set. Runs are tested on the clips they were trained with (or on
    --clips): if those differ, one table and one ROC plot would mix test sets, so stop and say how
    to evaluate each set on its own."""
    by_test_set = {}
    for run in runs:
        by_test_set.setdefault(str(Path(args.clips or run_config(run)["clips"])), []).append(run)
    if len(by_test_set) > 1:
        commands = "\n".join(f"  python 05_evaluate.py --runs {' '.join(map(str, rs))} --out {common.report_folder(clips)}"
                              for clips, rs in by_test_set.items())
        sys.exit("error: these runs were trained on different clips, and each is tested on its own: one report would "
                 "mix test sets. " + "; ".join(f"{clips}: {', '.join(r.name for r in rs)}" for clips, rs in by_test_set.items())
                 + f".\nEvaluate each set on its own:\n{commands}\n(or test them all on one set: --clips DIR)")


# The landmark model (03 --input landmarks: the face mesh's geometry instead of pixels) was retired
# when its one estimate scored at chance (docs/real-footage.md, "What was tried and retired"). Its
# code is in git's history, not here: this is the last commit that has it.
LANDMARK_COMMIT = "1f6c651"


def load_run(run: Path, device) -> tuple[torch.nn.Module, dict, float]:
    """Rebuild a run's model from its checkpoint (weights_only: a checkpoint is data, never code).
    Returns (model, config, the video-level decision threshold chosen on validation)."""
    ckpt = torch.load(run / "best.pt", map_location=device, weights_only=True)
    if ckpt["config"].get("input") == "landmarks":
        sys.exit(f"error: {run.name} is a landmark model (03 --input landmarks), which was retired: evaluate it "
                 f"with commit {LANDMARK_COMMIT}, the last that has it (git worktree add ../landmark "
                 f"{LANDMARK_COMMIT}; docs/real-footage.md, \"What was tried and retired\").")
    model = common.build_model(ckpt["config"])
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), ckpt["config"], ckpt.get("threshold")


@torch.no_grad()
def predict(model, clips: torch.Tensor | torch.utils.data.Dataset, device, batch_size: int) -> np.ndarray:
    """P(fake) for every clip of a dataset (or a stacked tensor of clips)."""
    probs = []
    for batch in torch.utils.data.DataLoader(clips, batch_size=batch_size):
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        probs.append(torch.sigmoid(model(x.to(device))).cpu().numpy())
    return np.concatenate(probs) if probs else np.zeros(0)


def learned_from(config: dict) -> str:
    """What a run learned from, in words (runs from before provenance was recorded say so)."""
    data = config.get("data") or {}
    return data.get("trained_on") or f"the clips in {config.get('clips', '?')} (a run from before provenance was recorded)"


def in_demo_folder(path: Path) -> bool:
    """A video of the synthetic demo set (01 --demo marks its folder with DEMO.json)."""
    return any((folder / "DEMO.json").is_file() for folder in list(Path(path).resolve().parents)[:4])


# --video: the verdict. The models' P(fake) are averaged (an ensemble of what ships), and so are their
# thresholds; a mean within BAND of its threshold is "uncertain": the shipped CNN-LSTMs' verdict puts
# four videos in five, real and fake, between 0.40 and 0.50 (under the estimate's folds), around
# thresholds of 0.43-0.46, so a margin of a few hundredths is a coin toss, not a finding.
BAND = 0.05


def trained_videos(config: dict, size: int | None = None) -> tuple[set[str], str]:
    """The sha256 of every video a run learned from (its train and validation videos, never its
    test ones), and where they are listed (size: hash only the files of this many bytes). Where the run's clips.csv and index.csv are at hand (a run
    trained here), its train and val videos, hashed; else the manifest its data came from: its sha256
    column (benchmarks/shared_videos.csv has one, so the shipped weights need no video at hand), or the
    files it lists, less those of an official test split. Empty when nothing says."""
    for root in (Path.cwd(), SHIPPED.parent):  # a run's paths are relative to where it was trained
        clips, index = root / config.get("clips", "-") / "clips.csv", root / config.get("faces", "-") / "index.csv"
        if clips.is_file() and index.is_file():
            learned = {r["video_id"] for r in common.read_csv(clips) if r["split"] in ("train", "val")}
            paths = [root / r["path"] for r in common.read_csv(index) if r["video_id"] in learned]
            return ({common.sha256_of(p) for p in paths if same_size(p, size)},
                    str(clips.relative_to(root) if root == SHIPPED.parent else clips))
        source = (config.get("data") or {}).get("source") or {}
        manifest = root / source["path"] if source.get("kind") == "manifest" and source.get("path") else None
        if manifest and manifest.is_file():
            rows = [r for r in common.read_csv(manifest) if (r.get("split") or "").strip().lower() != "test"]
            if rows and rows[0].get("sha256"):
                return {r["sha256"] for r in rows}, str(manifest.relative_to(root) if root == SHIPPED.parent else manifest)
            files = [manifest.parent / r["path"] for r in rows]
            return {common.sha256_of(f) for f in files if same_size(f, size)}, str(manifest)
    return set(), ""


def same_size(path: Path, size: int | None) -> bool:
    """A file that could hold the same content (hashing only those keeps a large training set quick)."""
    return path.is_file() and (size is None or path.stat().st_size == size)


def verdict_line(p: float, threshold: float) -> str:
    """'FAKE', 'REAL' or 'UNCERTAIN (leaning fake)': P(fake) against a threshold, with the band."""
    if abs(p - threshold) < BAND:
        return f"UNCERTAIN (leaning {'fake' if p >= threshold else 'real'})"
    return "FAKE" if p >= threshold else "REAL"


def judge_video(args, runs, device) -> None:
    """Face extraction and clips exactly as in training, then each model's P(fake) for one video,
    and one verdict: the mean of the models' P(fake) against the mean of their thresholds."""
    path = Path(args.video)
    shipped = any(run.resolve().parent == SHIPPED for run in runs)
    extracted, timelines, thresholds, scores = {}, {}, {}, {}  # runs trained on the same faces share one extraction
    seen_by = []  # the runs that learned from this very file
    digest = common.sha256_of(path) if path.is_file() else None
    signals = None  # the face's dynamics, from the first extraction with a mesh
    for run in runs:
        model, config, threshold = load_run(run, device)
        source = "chosen on validation" if threshold is not None else "default: this checkpoint records none"
        threshold = 0.5 if threshold is None else threshold
        fs = config.get("face_settings") or {}
        if not fs:
            print(f"warning: {run} does not record its face-extraction settings; using 01's defaults")
        settings = {k: fs[k] for k in ("detector", "detector_model", *common.EXTRACT_SETTINGS) if k in fs}
        # The mesh only where something reads it: the curves of the face's dynamics (--save-plot).
        # The models do not, and the mesh costs about half of the extraction's time.
        mesh_mode = "auto" if args.save_plot is not None else "off"
        key = json.dumps({**settings, "mesh": mesh_mode != "off"}, sort_keys=True)
        if key not in extracted:
            try:
                detector = common.make_detector(fs.get("detector", "haar"), fs.get("detector_model"))
            except common.DetectorError as err:
                sys.exit(f"error: the face detector {run.name} was trained with cannot load: {err}")
            mesher = common.load_mesh(mesh_mode)  # auto: without a mesh when it cannot load, with a note
            try:  # the recorded settings; extract_faces's own defaults for any not recorded
                extracted[key] = common.extract_faces(path, detector, mesher=mesher,
                                                      **{k: fs[k] for k in common.EXTRACT_SETTINGS if k in fs})
            except common.VideoError as err:
                sys.exit(f"error: {path}: cannot read it as a video ({err})")
        faces = extracted[key]
        signals = signals or ({"fps": faces["fps"], "frame_idx": faces["frame_idx"], **common.face_signals(faces["mesh"])}
                              if "mesh" in faces else None)
        clip_len = config["clip_len"]
        starts = common.clip_windows(faces["frame_idx"], clip_len, max(1, clip_len // 2))
        if not starts:
            sys.exit(f"error: {path}: a face was tracked in {len(faces['crops'])} of {faces['frames']} frames, "
                     f"fewer than one clip of {clip_len} consecutive frames. Try a longer video, or one where "
                     "the face is larger and turned to the camera.")
        seen = common.dataset_options(config)  # the region and input size it was trained on
        clips = torch.stack([common.clip_to_tensor(faces["crops"][s : s + clip_len], seen["region"],
                                                   seen["input_size"]) for s in starts])
        probs = predict(model, clips, device, args.batch_size)
        p = float(probs.mean())
        print(f"{run.name:>20}: P(fake) = {p:.3f} -> {'FAKE' if p >= threshold else 'real'} at threshold "
              f"{threshold:.3f} ({source}) | {len(starts)} clips")
        print(f"{'':>22}learned from {learned_from(config)}")
        if (config.get("data") or {}).get("synthetic") and not in_demo_folder(path):
            print(f"warning: {run.name} learned from drawn faces (the synthetic demo); its verdict on real footage is "
                  "not meaningful: use the shipped weights (no runs/ folder, or --runs weights/*) or train on real "
                  "videos (docs/real-footage.md, 'The recipe')")
        if digest:
            hashes, listing = trained_videos(config, path.stat().st_size)
            if digest in hashes:
                seen_by.append((run.name, listing))
        fps, idx = faces["fps"], faces["frame_idx"]
        timelines[run.name] = [(idx[s] / fps, (idx[s + clip_len - 1] + 1) / fps, float(q)) for s, q in zip(starts, probs)]
        thresholds[run.name], scores[run.name] = threshold, p
        if args.timeline:
            for a, b, q in timelines[run.name]:
                print(f"{'':>22}{a:6.2f}-{b:6.2f} s  {q:.3f}  {'#' * round(q * 20)}")
    print_verdict(path, scores, thresholds, seen_by, shipped)
    if args.save_plot is not None:  # beside the reports (--out), never in the current folder by surprise
        png = Path(args.save_plot or Path(args.out) / f"{path.stem}_timeline.png")
        common.plot_timeline(timelines, thresholds, png, f"{path.name}: P(fake) per clip (dotted: thresholds)",
                             signals)
        print(f"wrote {png}" + ("" if signals else " (no face mesh: the model's timeline only, no dynamics curves)"))
    elif not args.timeline:
        print("the score of every clip over time: --timeline (printed) or --save-plot (drawn)")


def print_verdict(path: Path, scores: dict, thresholds: dict, seen_by: list, shipped: bool) -> None:
    """One verdict for the video, with what limits it beside it: the band, the models' disagreement,
    a video they learned from, and how little a small model's opinion is worth."""
    p, threshold = float(np.mean(list(scores.values()))), float(np.mean(list(thresholds.values())))
    margin = p - threshold
    print(f"\nVERDICT on {path.name}: {verdict_line(p, threshold)}")
    if len(scores) > 1:
        each = ", ".join(f"{name} {q:.3f} (threshold {thresholds[name]:.3f})" for name, q in scores.items())
        print(f"  mean P(fake) of the {len(scores)} models {p:.3f}, {abs(margin):.3f} {'above' if margin >= 0 else 'below'} "
              f"the mean of their thresholds, {threshold:.3f}; each: {each}")
    else:
        print(f"  P(fake) {p:.3f}, {abs(margin):.3f} {'above' if margin >= 0 else 'below'} the threshold {threshold:.3f}")
    print(f"  UNCERTAIN means within {BAND:.2f} of the threshold (a band {2 * BAND:.2f} wide): too close to call")
    sides = {name: q >= thresholds[name] for name, q in scores.items()}
    if len(set(sides.values())) > 1:
        fake = [n for n, f in sides.items() if f]
        real = [n for n, f in sides.items() if not f]
        print(f"  the models disagree: {', '.join(fake)} {'says' if len(fake) == 1 else 'say'} fake, "
              f"{', '.join(real)} {'says' if len(real) == 1 else 'say'} real; the verdict is only their average")
    if seen_by:
        listings = sorted({listing for _, listing in seen_by})
        print(f"  warning: {', '.join(name for name, _ in seen_by)} learned from this very video (the same content, by "
              f"sha256, is listed in {', '.join(listings)}): this score is no test, the models were trained on it")
    if shipped:
        print("  caution: the shipped models learned from the fakes of 36 generators, and score the fakes of a generator "
              "they have not seen little better than chance, well below what the footage alone gives away (README, "
              "'On real footage'): this is a small model's measurement, not evidence about the video")
    else:
        print("  caution: a verdict is worth what the models learned from (above) and how they did on videos they "
              "never saw (their report, runs/report*/report.md)")


def level_items(rows: list[dict], probs: np.ndarray, level: str) -> list[dict]:
    """Scored items of one level: clips as they are, or videos (mean of their clips)."""
    clips = [{"level": "clip", "id": r["clip_id"], "video_id": r["video_id"], "label": int(r["label"]),
              "method": r["method"], "group": r.get("group", ""), "prob": float(p)} for r, p in zip(rows, probs)]
    if level == "clip":
        return clips
    return [{"level": "video", "id": v["video_id"], **v} for v in common.video_level(clips)]


def arrays(items: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([int(i["label"]) for i in items], int), np.array([float(i["prob"]) for i in items])


def evaluate_run(run: Path, args, device) -> dict:
    """Score one run on the test split (and its validation split, for the threshold)."""
    model, config, _ = load_run(run, device)
    trained_on = Path(config["clips"])
    test_dir = Path(args.clips) if args.clips else trained_on
    if not (test_dir / "clips.csv").is_file():
        sys.exit(f"error: {test_dir / 'clips.csv'} not found; run 02_make_clips.py for that dataset first.")
    test_faces = Path(config["faces"])
    if test_dir != trained_on:  # cross-dataset: the other faces must be prepared as the training faces were
        other = common.read_json(test_dir / "settings.json")
        test_faces = Path(other["faces"])
        mine, theirs = (config.get("face_settings") or {}).get("size"), (other.get("face_settings") or {}).get("size")
        if mine and theirs and mine != theirs:
            sys.exit(f"error: {run} was trained on {mine}-pixel face crops, {test_dir} holds {theirs}-pixel ones; "
                     f"extract that dataset again with 01_extract_faces.py --size {mine} (into another --out).")
    all_rows = common.read_csv(test_dir / "clips.csv")
    test_rows = [r for r in all_rows if r["split"] == args.split]
    if args.pseudo_fakes:  # the families on the split's real clips, in place of its genuine fakes
        test_rows = common.pseudo_rows([r for r in test_rows if r["label"] == "0"], args.pseudo_fakes, args.seed,
                                       every_method=True)
    if not test_rows:
        splits = sorted({r["split"] for r in all_rows} - {args.split})
        # A set split with 02 --test 0 (the recipe) has train and val only: its models are scored on val.
        other = "val" if "val" in splits else (splits or [""])[0]
        fix = (f"It holds {' and '.join(splits)} clips: add --split {other} to the command to score the {other} "
               f"split, or cut a {args.split} split with 02_make_clips.py (--test 0.2)."
               if splits else "Check the split fractions of 02_make_clips.py.")
        sys.exit(f"error: {test_dir / 'clips.csv'} has no {args.split} clips"
                 + (" of real videos to make pseudo-fakes from" if args.pseudo_fakes else "") + f": nothing to evaluate. {fix}")
    val_rows = [r for r in common.read_csv(trained_on / "clips.csv") if r["split"] == "val"] \
        if (trained_on / "clips.csv").is_file() else []
    # The validation clips of training, as training chose them (without genuine fakes for a
    # real-only run, at most so many per video), with the same pseudo-fakes.
    if config.get("real_only"):
        val_rows = [r for r in val_rows if r["label"] == "0"]
    if config.get("clips_per_video"):
        val_rows = common.spread_clips(val_rows, config["clips_per_video"])
    retired = [m for m in config.get("pseudo_fakes") or [] if m not in common.PSEUDO_FAKES]
    if retired:  # the first recipe's families: their code is in git's history, not here
        sys.exit(f"error: {run.name} learned from the retired pseudo-fakes {', '.join(retired)}: evaluate it with "
                 "the commit that still makes them (docs/real-footage.md, \"What was tried and retired\").")
    val_rows = common.pseudo_rows(val_rows, config.get("pseudo_fakes") or [], config["seed"])
    # The model sees what it saw in training: the same region of the face, windows of the length it
    # was trained on (the centre window of each longer clip, as in validation), the same input size.
    seen = common.dataset_options(config)
    try:
        test_set = common.ClipDataset(test_rows, test_faces, seed=args.seed, perturbations=args.perturbations, **seen)
        val_set = common.ClipDataset(val_rows, Path(config["faces"]), seed=config["seed"], **seen)
    except ValueError as err:  # clips shorter than the model's window
        sys.exit(f"error: {run.name} was trained on clips of {config['clip_len']} frames, but {err} in "
                 f"{test_dir / 'clips.csv'}. Cut clips at least that long with 02_make_clips.py --clip-len.")
    test_probs = predict(model, test_set, device, args.batch_size)
    val_probs = predict(model, val_set, device, args.batch_size)
    quality = real_quality_scores(model, test_rows, test_faces, seen, args, device,
                                  as_they_are=None if args.perturbations else test_probs) if args.quality_check else {}
    test_settings = common.read_json(test_dir / "settings.json") if (test_dir / "settings.json").is_file() else {}
    test_source = (test_settings.get("face_settings") or {}).get("source")
    # The epochs the run completed (one row each in metrics.csv): fewer than config's when it was
    # stopped early (--stop-after, --patience) or is still training.
    done = len(common.read_csv(run / "metrics.csv")) if (run / "metrics.csv").is_file() else None
    out = {"config": config, "levels": {}, "test_dir": test_dir, "tested_on": common.describe_source(test_source),
           "test_synthetic": common.is_synthetic(test_source), "quality": quality, "faces": test_faces,
           "epochs_done": [done]}
    for level in LEVELS:
        items = level_items(test_rows, test_probs, level)
        y, p = arrays(items)
        vy, vp = arrays(level_items(val_rows, val_probs, level))
        if len(np.unique(vy)) == 2:
            threshold = common.equal_error_rate(vy, vp)[1]
        else:
            threshold = 0.5
            print(f"warning: {run.name}: no validation split with both classes; the 'val' threshold is 0.5")
        out["levels"][level] = {"items": items, "y": y, "p": p, "threshold": threshold,
                                "at_05": common.binary_metrics(y, p, 0.5), "at_val": common.binary_metrics(y, p, threshold)}
    return out


def real_quality_scores(model, rows: list[dict], faces: Path, seen: dict, args, device,
                        as_they_are: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """{check: {video_id: P(fake)}} of the real videos among `rows`, as they are ('none') and under
    each degradation of QUALITY_CHECKS (each clip degraded frame by frame, then shrunk to the
    model's input as usual). as_they_are: the P(fake) of every row, already scored undegraded (the
    report's own test pass), so that the clips as they are are not scored twice."""
    is_real = [r["label"] == "0" and not r.get("pseudo") for r in rows]
    real = [r for r, keep in zip(rows, is_real) if keep]
    out = {}
    for check in ("none", *QUALITY_CHECKS):
        if check == "none" and as_they_are is not None:
            probs = np.asarray(as_they_are)[np.array(is_real, bool)]
        else:
            perturbations = [] if check == "none" else common.parse_perturbations([check])
            data = common.ClipDataset(real, faces, seed=args.seed, perturbations=perturbations, **seen)
            probs = predict(model, data, device, args.batch_size)
        out[check] = {v["video_id"]: v["prob"] for v in common.video_level(
            [{"video_id": r["video_id"], "label": 0, "prob": p} for r, p in zip(real, probs)])}
    return out


def quality_rows(name: str, quality: dict[str, dict[str, float]], spearman) -> list[dict]:
    """quality.csv's rows for one model: each degradation's shift of the real videos' mean P(fake),
    and the rank correlation of the video scores with sharpness, each against its limit."""
    rows = []
    before = quality.get("none") or {}
    for check in QUALITY_CHECKS:
        if check not in quality or not before:
            continue
        ids = sorted(before)
        b = float(np.mean([before[v] for v in ids]))
        a = float(np.mean([quality[check][v] for v in ids]))
        rows.append({"model": name, "check": check, "n_real": len(ids), "before": round(b, 4), "after": round(a, 4),
                     "shift": round(a - b, 4), "limit": QUALITY_LIMITS["shift"],
                     "passed": abs(a - b) <= QUALITY_LIMITS["shift"]})
    if spearman not in ("", None):
        rows.append({"model": name, "check": "spearman(score, sharpness)", "n_real": "", "before": "", "after": "",
                     "shift": spearman, "limit": QUALITY_LIMITS["spearman"],
                     "passed": abs(float(spearman)) <= QUALITY_LIMITS["spearman"]})
    return rows


def intervals(y: np.ndarray, p: np.ndarray, threshold, args) -> dict:
    """95% bootstrap intervals of the INTERVALS scores: {score_ci_low, score_ci_high}. Every score
    resamples the same videos (the same seed). threshold: the validation threshold, one number or,
    for pooled folds, one per video; a decision at it is the decision at 0.5 of p - threshold + 0.5."""
    def rates(a, b):  # (share of fakes caught, share of reals passed, true positives, false positives)
        hit = b >= 0.5
        tp, fp = float((hit & (a == 1)).sum()), float((hit & (a == 0)).sum())
        return tp / max(1, (a == 1).sum()), 1 - fp / max(1, (a == 0).sum()), tp, fp

    def f1(a, b):
        tpr, _, tp, fp = rates(a, b)
        fn = (a == 1).sum() - tp
        return 2 * tp / max(1.0, 2 * tp + fp + fn)

    # Written out in NumPy rather than with scikit-learn's functions (which give the same numbers,
    # as the point estimates above do): a thousand resamples of nine scores must take a second.
    shifted = p - threshold + 0.5
    scores = {"auc": (common.rank_auc, p),
              "accuracy": (lambda a, b: float(((b >= 0.5) == a).mean()), p),
              "balanced_accuracy": (lambda a, b: sum(rates(a, b)[:2]) / 2, p),
              "f1": (f1, p),
              "mse": (lambda a, b: float(((b - a) ** 2).mean()), p),
              "eer": (lambda a, b: common.equal_error_rate(a, b)[0], p)}
    for k in ("accuracy", "balanced_accuracy", "f1"):
        scores[f"{k}_val"] = (scores[k][0], shifted)
    out = {}
    for k in INTERVALS:
        metric, values = scores[k]
        out[f"{k}_ci_low"], out[f"{k}_ci_high"] = common.bootstrap_ci(y, values, metric, args.bootstrap, args.seed)
    return out


def subset_scores(y: np.ndarray, p: np.ndarray, sel: np.ndarray, lv: dict, level: str, args) -> dict:
    """AUC (with its bootstrap interval at the video level: resampling this subset's fakes and the
    real videos) and detection rates of the fakes in `sel`, against the real items in it."""
    fakes = sel & (y == 1)
    threshold = lv["at_val_threshold"][fakes] if "at_val_threshold" in lv else lv["threshold"]
    low, high = (common.bootstrap_ci(y[sel], p[sel], common.rank_auc, args.bootstrap, args.seed)
                 if level == "video" else (float("nan"), float("nan")))
    return {"n_fake": int(fakes.sum()), "n_real": int((sel & (y == 0)).sum()),
            "auc": round(common.binary_metrics(y[sel], p[sel])["auc"], 4),
            "auc_ci_low": round(low, 4), "auc_ci_high": round(high, 4),
            "detected": round(float((p[fakes] >= 0.5).mean()), 4),
            "detected_val": round(float((p[fakes] >= threshold).mean()), 4)}


def seed_of(run: Path) -> str:
    """runs/logo/seed_2/fold_1/c3d -> 'seed_2'; '' for a run outside a seed folder."""
    return run.parent.parent.name if run.parent.parent.name.startswith("seed_") else ""


def pool_one_seed(evs: list[dict], name: str, level: str) -> tuple[list[dict], np.ndarray]:
    """The items of one seed's folds at one level, each fold's own validation threshold beside
    each item. Every item must be tested by exactly one fold: the folds of one 02 --folds are."""
    items = [i for e in evs for i in e["levels"][level]["items"]]
    ids = [i["id"] for i in items]
    if len(ids) != len(set(ids)):
        twice = next(i for i in ids if ids.count(i) > 1)
        sys.exit(f"error: --pool: {twice} is in the test split of two of {name}'s folds; pool the runs of "
                 "one 02_make_clips.py --folds (each video is tested by one fold only), or put the runs of each "
                 "seed's folds in a folder of their own (runs/logo/seed_S/fold_K/NAME)")
    thresholds = np.concatenate([np.full(len(e["levels"][level]["items"]), e["levels"][level]["threshold"])
                                 for e in evs])
    return items, thresholds


def pool_folds(runs: list[Path], args, device) -> dict:
    """--pool: the runs of each name (one per fold of 02 --folds), each scored on its own fold's test
    split, pooled into one evaluation per name. Each fold's scores are read against its own
    validation threshold (a per-video threshold in the pooled 'val' metrics).

    Several seeds (runs/logo/seed_S/fold_K/NAME: the folds of 02 --folds --seed S, trained with
    --seed S): each seed's folds are pooled as above, then every item's P(fake) and threshold are
    averaged over the seeds, which must all have tested the same items. The report scores these
    seed-averaged scores; each seed's own video AUC is kept beside them (`seed_auc`), since the
    spread between seeds is what says how far one run can be trusted."""
    by_name: dict[str, list[Path]] = {}
    for run in runs:
        by_name.setdefault(run.name, []).append(run)
    evaluated = {}
    for name, name_runs in by_name.items():
        by_seed: dict[str, list[Path]] = {}
        for run in name_runs:
            by_seed.setdefault(seed_of(run), []).append(run)
        evs = {seed: [evaluate_run(run, args, device) for run in seed_runs]
               for seed, seed_runs in tqdm(sorted(by_seed.items()), desc=f"evaluating {name}", unit="seed")}
        first = next(iter(evs.values()))
        folds = len(first)
        pooled = {"config": first[0]["config"], "faces": first[0]["faces"], "levels": {}, "tested_on": first[0]["tested_on"],
                  "test_synthetic": first[0]["test_synthetic"], "folds": folds, "seeds": sorted(evs), "seed_auc": {},
                  "epochs_done": [n for seed_evs in evs.values() for e in seed_evs for n in e["epochs_done"]],
                  "test_dir": (f"{folds} leave-generator-out folds" + (f" x {len(evs)} seeds" if len(evs) > 1 else "")
                               + f" ({', '.join(str(e['test_dir']) for seed in evs.values() for e in seed)})")}
        for level in LEVELS:
            per_seed = {seed: pool_one_seed(seed_evs, name, level) for seed, seed_evs in evs.items()}
            ids = {seed: [i["id"] for i in items] for seed, (items, _) in per_seed.items()}
            if len({frozenset(v) for v in ids.values()}) > 1:
                sys.exit(f"error: --pool: the seeds of {name} did not test the same {level}s; make every seed's folds "
                         "from the same faces with the same 02_make_clips.py flags but --seed")
            items, _ = next(iter(per_seed.values()))
            by_id = {seed: {it["id"]: (float(it["prob"]), float(t)) for it, t in zip(its, th)}
                     for seed, (its, th) in per_seed.items()}
            items = [{**it, "prob": float(np.mean([by_id[s][it["id"]][0] for s in by_id]))} for it in items]
            per_item = np.array([np.mean([by_id[s][it["id"]][1] for s in by_id]) for it in items])
            y, p = arrays(items)
            pooled["levels"][level] = {"items": items, "y": y, "p": p, "threshold": float(np.median(per_item)),
                                       "at_val_threshold": per_item, "at_05": common.binary_metrics(y, p, 0.5),
                                       "at_val": common.binary_metrics(y, p, per_item)}
            if level == "video":
                pooled["seed_items"] = {seed: its for seed, (its, _) in per_seed.items()}
        # the quality check's real videos: each tested by one fold per seed, averaged over the seeds
        checks = {c for seed_evs in evs.values() for e in seed_evs for c in e["quality"]}
        pooled["quality"] = {c: {v: float(np.mean([e["quality"][c][v] for seed_evs in evs.values() for e in seed_evs
                                                   if v in e["quality"].get(c, {})]))
                                 for v in {v for seed_evs in evs.values() for e in seed_evs
                                           for v in e["quality"].get(c, {})}} for c in checks}
        evaluated[name] = pooled
    return evaluated


def seed_spread(name: str, ev: dict, by_seed: list[dict]) -> dict:
    """--pool over several seeds: each seed's own video AUC, overall and per family, appended to
    by_seed; their count, mean and standard deviation returned for results.csv."""
    seed_items = ev.get("seed_items") or {}
    if len(seed_items) < 2:
        return {}
    aucs = []
    for seed, items in seed_items.items():
        y, p = arrays(items)
        family = np.array([common.family_of(i["method"]) for i in items])
        for fam in ["all", *[f for f in common.FAMILIES if (family == f).any()]]:
            sel = (y == 0) | (family == fam) if fam != "all" else np.ones(len(y), bool)
            auc = common.rank_auc(y[sel], p[sel])
            by_seed.append({"model": name, "seed": seed, "family": fam, "n_fake": int(y[sel].sum()),
                            "n_real": int((y[sel] == 0).sum()), "auc": round(auc, 4)})
            if fam == "all":
                aucs.append(auc)
    return {"seeds": len(aucs), "auc_seed_mean": round(float(np.mean(aucs)), 4),
            "auc_seed_sd": round(float(np.std(aucs, ddof=1)), 4)}


def sharpness_correlation(items: list[dict], p: np.ndarray, faces: Path) -> float | str:
    """Spearman's rank correlation between the video scores and the sharpness of each video's face
    crops (common.face_sharpness; `faces`: the folder of the tested face arrays), or '' where they
    are not at hand. Near zero: the scores do not follow footage quality. Strongly negative:
    softer faces are called fake."""
    faces = Path(faces)
    if not all((faces / f"{i['video_id']}.npy").is_file() for i in items):
        return ""
    from scipy.stats import spearmanr  # scikit-learn depends on SciPy, so it is always there

    sharp = [common.face_sharpness(faces / f"{i['video_id']}.npy") for i in items]
    return round(float(spearmanr(p, sharp).statistic), 4)


# The report's own figures (the ROC and training curves, which others draw too, are in common.py).
def plot_confusions(matrices: dict[str, tuple[int, int, int, int]], path: Path, title: str) -> None:
    """One confusion matrix per model; matrices: {model: (tn, fp, fn, tp)}."""
    plt = common._pyplot()
    fig, axes = plt.subplots(1, len(matrices), figsize=(2.6 * len(matrices), 2.6), squeeze=False)
    for ax, (name, (tn, fp, fn, tp)) in zip(axes[0], matrices.items()):
        cm = np.array([[tn, fp], [fn, tp]])
        ax.imshow(cm, cmap="Blues", vmin=0)
        for (r, c), v in np.ndenumerate(cm):
            ax.text(c, r, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
        ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["real", "fake"], yticklabels=["real", "fake"],
               xlabel="predicted", ylabel="true", title=name)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    common.save_atomic(path, lambda tmp: fig.savefig(tmp, dpi=150, format="png"))
    plt.close(fig)




def plot_score_histograms(scores: dict[str, tuple[np.ndarray, np.ndarray, float]], path: Path, title: str) -> None:
    """P(fake) of real and of fake items per model; scores: {model: (labels, probs, threshold)}."""
    plt = common._pyplot()
    fig, axes = plt.subplots(1, len(scores), figsize=(3 * len(scores), 2.6), squeeze=False)
    bins = np.linspace(0, 1, 21)
    for ax, (name, (y, p, threshold)) in zip(axes[0], scores.items()):
        ax.hist(p[y == 0], bins=bins, alpha=0.6, label="real", color="tab:green")
        ax.hist(p[y == 1], bins=bins, alpha=0.6, label="fake", color="tab:red")
        ax.axvline(threshold, color="k", ls="--", lw=0.8, label=f"threshold {threshold:.2f}")
        ax.set(xlabel="P(fake)", ylabel="count", title=name)
        ax.legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    common.save_atomic(path, lambda tmp: fig.savefig(tmp, dpi=150, format="png"))
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    device = common.pick_device(args.device)
    runs = find_runs(args)
    if args.video:
        return judge_video(args, runs, device)
    out = Path(args.out)
    perturb = ",".join(f"{k}:{v:g}" for k, v in args.perturbations)
    if args.pool:
        evaluated = pool_folds(runs, args, device)
    else:
        refuse_mixed_test_sets(runs, args)
        evaluated = {run.name: evaluate_run(run, args, device) for run in tqdm(runs, desc="evaluating", unit="model")}

    results, by_method, by_family, by_seed, quality = [], [], [], [], []
    for name, ev in evaluated.items():
        for level, lv in ev["levels"].items():
            y, p, m, mv = lv["y"], lv["p"], lv["at_05"], lv["at_val"]
            if len(np.unique(y)) < 2:
                print(f"warning: {name}: the {args.split} split holds only {'fake' if y.any() else 'real'} {level}s: "
                      "AUC, AP, EER and balanced accuracy are undefined (NaN); add videos of the other class.")
            row = {"model": name, "level": level, "n": len(y), "n_real": int((y == 0).sum()), "n_fake": int(y.sum()),
                   **{k: m[k] for k in SCORES}, "threshold_val": lv["threshold"],
                   **{f"{k}_val": mv[k] for k in AT_VAL}, "perturb": perturb, "trained_on": learned_from(ev["config"]),
                   "tested_on": f"{args.split} split of {ev['test_dir']}: {ev['tested_on']}"}
            if level == "video":  # resample videos, the independent units, for the intervals
                row.update(intervals(y, p, lv.get("at_val_threshold", lv["threshold"]), args))
                row.update(seed_spread(name, ev, by_seed))
                row["spearman_sharpness"] = sharpness_correlation(lv["items"], p, ev["faces"])
                quality += quality_rows(name, ev.get("quality") or {}, row["spearman_sharpness"])
            results.append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
            methods = sorted({i["method"] for i in lv["items"]} - {"real"})
            for method in methods:
                sel = np.array([i["method"] in ("real", method) for i in lv["items"]])
                by_method.append({"model": name, "level": level, "method": method,
                                  **subset_scores(y, p, sel, lv, level, args)})
            # The families of generators (face swap, reenactment, lip-sync, talking head), each apart.
            family = np.array([common.family_of(i["method"]) for i in lv["items"]])
            for fam in [f for f in (*common.FAMILIES, "other") if (family == f).any()]:
                sel = (family == fam) | (y == 0)
                by_family.append({"model": name, "level": level, "family": fam,
                                  "methods": " ".join(sorted({i["method"] for i, f in zip(lv["items"], family) if f == fam})),
                                  **subset_scores(y, p, sel, lv, level, args)})
            # Every fake but those of generators with an easy cue (common.EASY_CUES: a frame rate,
            # a resolution, an overlay): what is left for the face itself to give away.
            easy = np.array([i["method"] in common.EASY_CUES for i in lv["items"]])
            if easy.any() and (~easy & (y == 1)).any():
                sel = ~easy
                by_family.append({"model": name, "level": level, "family": "all but easy cues",
                                  "methods": " ".join(sorted({i["method"] for i, e in zip(lv["items"], easy)
                                                              if not e and i["method"] != "real"})),
                                  **subset_scores(y, p, sel, lv, level, args)})
            # The paired subset: the people (groups) that have both a real and a fake test video,
            # such as a fake and the real video it was made from. There the footage is the same, so
            # what separates them is the fake itself.
            paired = common.paired_groups(lv["items"])
            sel = np.array([i.get("group", "") in paired for i in lv["items"]])
            if sel.any():
                by_family.append({"model": name, "level": level, "family": "same person (paired)",
                                  "methods": " ".join(sorted({i["method"] for i, e in zip(lv["items"], sel)
                                                              if e and i["method"] != "real"})),
                                  **subset_scores(y, p, sel, lv, level, args)})
        common.write_csv(out / f"predictions_{name}.csv", ev["levels"]["clip"]["items"] + ev["levels"]["video"]["items"],
                         ["level", "id", "video_id", "label", "method", "prob"])
        if len(ev.get("seed_items") or {}) > 1:  # each seed's own video scores, for paired comparisons between seeds
            common.write_csv(out / f"seeds_{name}.csv", [{"seed": seed, **i} for seed, items in ev["seed_items"].items()
                                                         for i in items],
                             ["seed", "video_id", "label", "method", "group", "prob"])

    common.write_csv(out / "results.csv", results, RESULT_FIELDS)
    if by_seed:
        common.write_csv(out / "by_seed.csv", by_seed, SEED_AUC_FIELDS)
    if args.quality_check:
        common.write_csv(out / "quality.csv", quality, QUALITY_FIELDS)
    common.write_csv(out / "by_method.csv", by_method, METHOD_FIELDS)
    common.write_csv(out / "by_family.csv", by_family, FAMILY_FIELDS)
    first = next(iter(evaluated.values()))  # every run has the same test set (refuse_mixed_test_sets)
    data = f"{args.split} split of {first['test_dir']}" + (" (SYNTHETIC demo)" if first["test_synthetic"] else "")
    for level in LEVELS:
        lvs = {name: ev["levels"][level] for name, ev in evaluated.items()}
        common.plot_roc({n: (lv["y"], lv["p"]) for n, lv in lvs.items()}, out / f"roc_{level}.png",
                        f"ROC, {level} level\n{data}")
        plot_confusions({n: tuple(lv["at_05"][k] for k in ("tn", "fp", "fn", "tp")) for n, lv in lvs.items()},
                               out / f"confusion_{level}.png", f"{level} level, threshold 0.5; {data}")
        plot_score_histograms({n: (lv["y"], lv["p"], lv["threshold"]) for n, lv in lvs.items()},
                                     out / f"scores_{level}.png",
                                     f"{level}-level P(fake); dashed: validation threshold; {data}")
    histories = {name: common.read_csv(run / "metrics.csv") for run in runs if (run / "metrics.csv").is_file()
                 for name in [run.name]}
    if histories:
        common.plot_training_curves(histories, out / "training_curves.png")
    write_report(out, results, by_method, by_family, evaluated, args, perturb, quality)
    write_latex_tables(out)

    print(f"\n{'model':<20} {'level':<6} {'acc':>6} {'bal.acc':>7} {'f1':>6} {'auc':>6} {'eer':>6} {'acer@val':>8}")
    for r in results:
        print(f"{r['model']:<20} {r['level']:<6} {r['accuracy']:>6.3f} {r['balanced_accuracy']:>7.3f} {r['f1']:>6.3f} "
              f"{r['auc']:>6.3f} {r['eer']:>6.3f} {r['acer_val']:>8.3f}")
    if args.quality_check:
        print("\nquality check, real test videos (a detector of fakes should not move with footage quality):")
        for r in quality:
            what = (f"mean P(fake) {r['before']:.3f} -> {r['after']:.3f}, shift {r['shift']:+.3f}" if r["before"] != ""
                    else f"{float(r['shift']):+.3f}")
            print(f"  {r['model']:<20} {r['check']:<28} {what}  "
                  + ("ok" if r["passed"] else f"WARNING: past {r['limit']}: this model reads footage quality"))
    for name, ev in evaluated.items():
        p = ev["levels"]["video"]["p"]
        if common.constant_scores(p):
            print(f"warning: {name} gives every test video nearly the same score ({p.min():.4f} to {p.max():.4f}): its "
                  "accuracy, F1, APCER, BPCER and ACER only say on which side of the threshold that score falls "
                  "(not meaningful; report.md says so)")
    if args.split == "val":
        print("note: --split val: the 'val' threshold was chosen on this same split, so the scores at it (acer@val, "
              "and the *_val columns) are optimistic; AUC, EER and the scores at 0.5 are not")
    print(f"\nwrote {out / 'report.md'}, results.csv, by_method.csv, their LaTeX tables (results.tex, by_method.tex) "
          + ("quality.csv " if args.quality_check else "") + "and plots")


def write_report(out: Path, results: list[dict], by_method: list[dict], by_family: list[dict], evaluated: dict, args,
                 perturb: str, quality: list[dict] = ()) -> None:
    """report.md: what was tested on what, the results as Markdown tables, the figures, the models."""

    def f(v):
        return "n/a" if v is None or v == "" or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"

    configs = {n: ev["config"] for n, ev in evaluated.items()}
    first = next(iter(evaluated.values()))
    synthetic = first["test_synthetic"] or any((c.get("data") or {}).get("synthetic") for c in configs.values())
    lines = ["# Results", ""]
    if synthetic:
        lines += ["> **Synthetic demo data.** These numbers are about drawn faces, made by `01_extract_faces.py "
                  "--demo`, not about real videos: they show that the pipeline works and what time adds, not how "
                  "well a model detects real deepfakes. Do not report them as results on real footage.", ""]
    if args.pool:
        lines += [f"**Tested by leave-generator-out cross-validation**: {first['test_dir']}; every video was scored "
                  "by the model of the one fold that tested it, which never saw its generator or its person, and "
                  f"the folds' scores are pooled. The videos: {first['tested_on']}.", ""]
    else:
        lines += [f"**Tested on** the {args.split} split of `{first['test_dir']}`: {first['tested_on']}"
                  + (" (cross-dataset: not the clips the models were trained on)" if args.clips else "") + ".", ""]
    lines += [
              "**Trained on**: " + "; ".join(f"`{n}` learned from {learned_from(c)}" for n, c in configs.items()) + ".", "",
              f"Scores on the **{args.split}** split"
             + (f" of `{args.clips}` (cross-dataset)" if args.clips else "")
             + (f", with test faces degraded by `{perturb}`" if perturb else "")
             + (f", fakes made from its real clips by the pseudo-fake families {', '.join(args.pseudo_fakes)} "
                "(genuine fakes left out)" if args.pseudo_fakes else "") + ". "
             "Fake is the positive class (the *attack*, in ISO/IEC 30107-3 terms). A video's score is the "
             "mean of its clips' P(fake). Two thresholds: 0.5, and *val*, the equal-error-rate point of the "
             "validation split. APCER: share of fakes called real; BPCER: share of reals called fake; "
             "ACER: their mean; EER: the error rate where the two are equal. MSE is the Brier score. "
             f"Brackets: 95% bootstrap intervals over {args.bootstrap} resamples of the test videos.", ""]
    if args.split == "val":
        lines += ["> **The *val* threshold was chosen on the split scored here.** Accuracy, F1, APCER, BPCER and "
                  "ACER at *val* are therefore optimistic; the AUC, the EER and the scores at 0.5 are not affected.", ""]
    for level in ("video", "clip"):
        rows = [r for r in results if r["level"] == level]
        ci = level == "video"
        lines += [f"## {level.capitalize()} level", "",
                  "| model | n (real/fake) | ROC-AUC | accuracy | balanced acc. | precision | recall | F1 | AP | MSE | EER |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            def with_ci(k):  # the score, and its interval at the video level
                return f(r[k]) + (f" [{f(r[k + '_ci_low'])}, {f(r[k + '_ci_high'])}]" if ci and k + "_ci_low" in r else "")

            lines.append(f"| {r['model']} | {r['n']} ({r['n_real']}/{r['n_fake']}) | {with_ci('auc')} | {with_ci('accuracy')} "
                         f"| {with_ci('balanced_accuracy')} | {f(r['precision'])} | {f(r['recall'])} | {with_ci('f1')} "
                         f"| {f(r['ap'])} | {with_ci('mse')} | {with_ci('eer')} |")
        for name, ev in evaluated.items():
            p = ev["levels"][level]["p"]
            if common.constant_scores(p):
                lines += ["", f"> **`{name}` gives every {level} nearly the same score** ({p.min():.4f} to {p.max():.4f}): "
                              "it ranks nothing, and its accuracy, F1, precision, recall, APCER, BPCER and ACER only say on "
                              "which side of a threshold that one score falls. They are not meaningful; its AUC and MSE are."]
        lines += ["", "| model | threshold | APCER | BPCER | ACER | accuracy | balanced acc. |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['model']} | 0.5 | {f(r['apcer'])} | {f(r['bpcer'])} | {f(r['acer'])} | {f(r['accuracy'])} "
                         f"| {f(r['balanced_accuracy'])} |")
            lines.append(f"| {r['model']} | val = {f(r['threshold_val'])} | {f(r['apcer_val'])} | {f(r['bpcer_val'])} "
                         f"| {f(r['acer_val'])} | {f(r['accuracy_val'])} | {f(r['balanced_accuracy_val'])} |")
        lines += ["", f"![ROC, {level} level](roc_{level}.png) ![confusion matrices](confusion_{level}.png)",
                  "", f"![scores](scores_{level}.png)", ""]
    if quality:
        lines += ["## Quality check (real test videos)", "",
                  "How far a degradation that leaves a real video real moves the mean P(fake) of the real test "
                  f"videos (limit {QUALITY_LIMITS['shift']}), and the rank correlation (Spearman) of all test videos' "
                  f"scores with the sharpness of their face crops (limit {QUALITY_LIMITS['spearman']}). Past a limit, "
                  "the model reads footage quality: a softer real video looks fake to it.", "",
                  "| model | check | mean P(fake) before | after | shift or correlation | within the limit |",
                  "|---|---|---|---|---|---|"]
        for r in quality:
            lines.append(f"| {r['model']} | {r['check']} | {r['before'] if r['before'] == '' else f(r['before'])} | "
                         f"{r['after'] if r['after'] == '' else f(r['after'])} | {float(r['shift']):+.3f} | "
                         f"{'yes' if r['passed'] else '**no**'} |")
        lines.append("")
    if by_family:
        lines += ["## By family of generators (video level)", "",
                  "Each family's fakes against all real test videos (common.GENERATOR_FAMILIES says which generator "
                  "is which); *detected*: share of its fakes called fake.", "",
                  "| model | family | fakes | ROC-AUC [95% CI] | detected (0.5) | detected (val) |", "|---|---|---|---|---|---|"]
        for r in by_family:
            if r["level"] == "video":
                lines.append(f"| {r['model']} | {r['family']} | {r['n_fake']} | {f(r['auc'])} [{f(r['auc_ci_low'])}, "
                             f"{f(r['auc_ci_high'])}] | {f(r['detected'])} | {f(r['detected_val'])} |")
        lines.append("")
    if by_method:
        lines += ["## By manipulation method (video level)", "",
                  "Each method's fakes against all real test videos; *detected*: share of its fakes called fake.", "",
                  "| model | method | fakes | ROC-AUC [95% CI] | detected (0.5) | detected (val) |", "|---|---|---|---|---|---|"]
        for r in by_method:
            if r["level"] == "video":
                lines.append(f"| {r['model']} | {r['method']} | {r['n_fake']} | {f(r['auc'])} [{f(r['auc_ci_low'])}, "
                             f"{f(r['auc_ci_high'])}] | {f(r['detected'])} | {f(r['detected_val'])} |")
        lines.append("")
    lines += ["## Training", "", "![training curves](training_curves.png)", "", "## Models", "",
              "| run | model | temporal | input | region | pseudo-fakes | parameters | epochs | batch | lr | clip length "
              "| face size | fps | detector | seed |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in configs.items():
        fs = c.get("face_settings", {})
        params = common.count_parameters(common.build_model(c))
        epochs = epochs_text(evaluated[name].get("epochs_done", [None]), c["epochs"])
        lines.append(f"| {name} | {c['model']} | {c.get('temporal', '3D conv')} | {c.get('input', 'rgb')} "
                     f"| {c.get('region', 'face')} | {', '.join(c.get('pseudo_fakes') or []) or 'none'} | {params:,} "
                     f"| {epochs} | {c['batch_size']} | {c['lr']} | {c['clip_len']} | {fs.get('size', '?')} "
                     f"| {fs.get('fps') or 'native'} | {fs.get('detector', '?')} | {c['seed']} |")
    common.save_atomic(out / "report.md", lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n", encoding="utf-8"))


def epochs_text(done: list, planned: int) -> str:
    """The epochs a model trained: '5', or '1 of 5' for a run stopped early (each fold's, when pooled)."""
    if any(n is None for n in done):  # no metrics.csv at hand (a copied best.pt): what it was set to
        return f"{planned} (set)"
    return ", ".join(str(n) if n == planned else f"{n} of {planned}" for n in dict.fromkeys(done))


def latex_tables(results: list[dict], by_method: list[dict], by_family: list[dict] = ()) -> tuple[str, str, str]:
    """The video-level results and the per-method and per-family AUCs as LaTeX tables (booktabs),
    for a paper to \\input rather than retype: (results.tex, by_method.tex, by_family.tex). Read back
    from the CSV files, so that the tables are exactly the files' numbers."""

    def f(v):
        v = float(v) if v not in ("", None) else float("nan")
        return "--" if np.isnan(v) else f"{v:.2f}"

    def name(text):
        return str(text).replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")

    video = [r for r in results if r["level"] == "video"]
    clip_auc = {r["model"]: r["auc"] for r in results if r["level"] == "clip"}
    rows = [r"\begin{tabular}{lcccccc}", r"\toprule",
            r"model & videos (real/fake) & video AUC [95\% CI] & clip AUC & EER & bal.\ acc.\ (val thr.) & F1 (val thr.) \\",
            r"\midrule"]
    rows += [f"{name(r['model'])} & {r['n']} ({r['n_real']}/{r['n_fake']}) & {f(r['auc'])} [{f(r['auc_ci_low'])}, "
             f"{f(r['auc_ci_high'])}] & {f(clip_auc.get(r['model']))} & {f(r['eer'])} & {f(r['balanced_accuracy_val'])} "
             f"& {f(r['f1_val'])} \\\\" for r in video]
    rows += [r"\bottomrule", r"\end{tabular}"]
    def per_subset(subset_rows: list[dict], key: str, header: str) -> str:
        """One row per method (or family), one column per model: AUC [95% CI]."""
        models = list(dict.fromkeys(r["model"] for r in subset_rows))
        keys = list(dict.fromkeys(r[key] for r in subset_rows if r["level"] == "video"))
        auc = {(r["model"], r[key]): r for r in subset_rows if r["level"] == "video"}
        per = [r"\begin{tabular}{lc" + "c" * len(models) + "}", r"\toprule",
               f"{header} & fakes & " + " & ".join(name(m) for m in models) + r" \\", r"\midrule"]
        for k in keys:
            first = next(auc[m, k] for m in models if (m, k) in auc)
            per.append(f"{name(k)} & {first['n_fake']} & "
                       + " & ".join(f"{f(auc[m, k]['auc'])} [{f(auc[m, k].get('auc_ci_low'))}, "
                                    f"{f(auc[m, k].get('auc_ci_high'))}]" if (m, k) in auc else "--"
                                    for m in models) + r" \\")
        per += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(per) + "\n"

    return ("\n".join(rows) + "\n", per_subset(by_method, "method", "method"),
            per_subset(list(by_family), "family", "family"))


def write_latex_tables(out: Path) -> None:
    # Read back what was written: the tables hold the CSV files' numbers, as rounded there.
    tables = latex_tables(common.read_csv(out / "results.csv"), common.read_csv(out / "by_method.csv"),
                          common.read_csv(out / "by_family.csv"))
    for filename, table in zip(("results.tex", "by_method.tex", "by_family.tex"), tables):
        common.save_atomic(out / filename, lambda tmp, t=table: Path(tmp).write_text(t, encoding="utf-8"))


if __name__ == "__main__":
    main()
