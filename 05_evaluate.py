"""Step 5: test every trained model and write a report; or judge one video.

Reads   every run folder under runs/ that holds a best.pt (or the folders given to --runs), the
        validation split it was trained with (to choose a decision threshold) and the test split
        of --clips (default: the clips it was trained on; another dataset's for cross-dataset tests)
Writes  --out (default runs/report):
          results.csv              one row per model and level (clip, video): accuracy, balanced
                                   accuracy, precision, recall, F1, ROC-AUC, AP, MSE (Brier), EER,
                                   APCER/BPCER/ACER, at 0.5 and at the validation threshold, and
                                   bootstrap 95% intervals of video-level AUC and accuracy
          by_method.csv            detection per manipulation method (each method's fakes vs all reals)
          predictions_<model>.csv  every test clip's and video's P(fake)
          roc_*.png, confusion_*.png, scores_*.png, training_curves.png
          report.md                the tables and figures, ready for a paper's Results section
A video's score is the mean of its clips' P(fake). The threshold "val" is the equal-error-rate
point of the validation split (never the test split): there, fakes missed = reals flagged.

Run:
    python 05_evaluate.py                                   # every run under runs/
    python 05_evaluate.py --runs runs/cnn_lstm runs/c3d --out runs/report_main
    python 05_evaluate.py --perturb jpeg:30 --out runs/report_jpeg30      # robustness
    python 05_evaluate.py --clips other_dataset/clips --out runs/report_cross  # cross-dataset
    python 05_evaluate.py --video my_clip.mp4 --save-plot   # P(fake) of one video, per model
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
RESULT_FIELDS = (["model", "level", "n", "n_real", "n_fake"] + SCORES + ["threshold_val"] + [f"{k}_val" for k in AT_VAL]
                 + ["auc_ci_low", "auc_ci_high", "accuracy_ci_low", "accuracy_ci_high", "perturb"])
METHOD_FIELDS = ["model", "level", "method", "n_fake", "n_real", "auc", "detected", "detected_val"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", nargs="+", default=None, help="run folders to evaluate (default: every folder under runs/ with a best.pt)")
    p.add_argument("--clips", default=None, help="clips folder to test on (default: the one each run was trained on)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"], help="which split to score (default: %(default)s)")
    p.add_argument("--out", default="runs/report", help="report folder (default: %(default)s)")
    p.add_argument("--perturb", action="append", default=[],
                   help="degrade the test faces: jpeg:Q, blur:SIGMA, noise:STD, resize:FACTOR; "
                        "combine with commas or repeat the flag (default: none)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples of the test videos for the 95%% intervals (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and of the noise perturbation (default: %(default)s)")
    p.add_argument("--video", default=None, help="judge this one video instead of writing a report")
    p.add_argument("--save-plot", nargs="?", const="", default=None, metavar="PNG",
                   help="with --video: draw the per-clip timeline (default file: <video name>_timeline.png)")
    p.add_argument("--batch-size", type=int, default=32, help="clips per forward pass (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    args = p.parse_args(argv)
    try:
        args.perturbations = common.parse_perturbations(args.perturb)
    except ValueError as err:
        p.error(str(err))
    return args


def find_runs(args) -> list[Path]:
    runs = [Path(r) for r in args.runs] if args.runs else sorted(p.parent for p in Path("runs").glob("*/best.pt"))
    missing = [r for r in runs if not (r / "best.pt").is_file()]
    for r in missing:
        print(f"warning: {r} has no best.pt (not trained, or training was interrupted before epoch 1); skipped")
    runs = [r for r in runs if r not in missing]
    if not runs:
        sys.exit("error: no trained model found. Train one first: python 03_train_cnn_lstm.py")
    return runs


def load_run(run: Path, device) -> tuple[torch.nn.Module, dict, float]:
    """Rebuild a run's model from its checkpoint (weights_only: a checkpoint is data, never code).
    Returns (model, config, the video-level decision threshold chosen on validation)."""
    ckpt = torch.load(run / "best.pt", map_location=device, weights_only=True)
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


def judge_video(args, runs, device) -> None:
    """Face extraction and clips exactly as in training, then each model's P(fake) for one video."""
    path = Path(args.video)
    extracted, timelines, thresholds = {}, {}, {}  # runs trained on the same faces share one extraction
    for run in runs:
        model, config, threshold = load_run(run, device)
        source = "chosen on validation" if threshold is not None else "default: this checkpoint records none"
        threshold = 0.5 if threshold is None else threshold
        fs = config.get("face_settings") or {}
        if not fs:
            print(f"warning: {run} does not record its face-extraction settings; using 01's defaults")
        key = json.dumps(fs, sort_keys=True)
        if key not in extracted:
            try:
                detector = common.make_detector(fs.get("detector", "haar"), fs.get("detector_model"))
            except common.DetectorError as err:
                sys.exit(f"error: the face detector {run.name} was trained with cannot load: {err}")
            try:  # the recorded settings; extract_faces's own defaults for any not recorded
                extracted[key] = common.extract_faces(path, detector, **{k: fs[k] for k in common.EXTRACT_SETTINGS
                                                                         if k in fs})
            except common.VideoError as err:
                sys.exit(f"error: {path}: cannot read it as a video ({err})")
        faces = extracted[key]
        clip_len = config["clip_len"]
        starts = common.clip_windows(faces["frame_idx"], clip_len, max(1, clip_len // 2))
        if not starts:
            sys.exit(f"error: {path}: a face was tracked in {len(faces['crops'])} of {faces['frames']} frames, "
                     f"fewer than one clip of {clip_len} consecutive frames. Try a longer video, or one where "
                     "the face is larger and turned to the camera.")
        region = config.get("region", "face")  # runs from before --region saw the whole face
        clips = torch.stack([common.clip_to_tensor(faces["crops"][s : s + clip_len], region) for s in starts])
        probs = predict(model, clips, device, args.batch_size)
        p = float(probs.mean())
        print(f"{run.name:>20}: P(fake) = {p:.3f} -> {'FAKE' if p >= threshold else 'real'} at threshold "
              f"{threshold:.3f} ({source}) | {len(starts)} clips")
        fps, idx = faces["fps"], faces["frame_idx"]
        timelines[run.name] = [(idx[s] / fps, (idx[s + clip_len - 1] + 1) / fps, float(q)) for s, q in zip(starts, probs)]
        thresholds[run.name] = threshold
        for a, b, q in timelines[run.name]:
            print(f"{'':>22}{a:6.2f}-{b:6.2f} s  {q:.3f}  {'#' * round(q * 20)}")
    if args.save_plot is not None:
        png = Path(args.save_plot or f"{path.stem}_timeline.png")
        common.plot_timeline(timelines, thresholds, png, f"{path.name}: P(fake) per clip (dotted: thresholds)")
        print(f"wrote {png}")


def level_items(rows: list[dict], probs: np.ndarray, level: str) -> list[dict]:
    """Scored items of one level: clips as they are, or videos (mean of their clips)."""
    clips = [{"level": "clip", "id": r["clip_id"], "video_id": r["video_id"], "label": int(r["label"]),
              "method": r["method"], "prob": float(p)} for r, p in zip(rows, probs)]
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
    test_rows = [r for r in common.read_csv(test_dir / "clips.csv") if r["split"] == args.split]
    if not test_rows:
        sys.exit(f"error: {test_dir / 'clips.csv'} has no {args.split} clips: nothing to evaluate. "
                 "Check the split fractions of 02_make_clips.py.")
    val_rows = [r for r in common.read_csv(trained_on / "clips.csv") if r["split"] == "val"] \
        if (trained_on / "clips.csv").is_file() else []
    # The model sees what it saw in training: the same region of the face, and windows of the
    # length it was trained on (the centre window of each longer clip, as in validation).
    seen = {"region": config.get("region", "face"), "clip_len": config["clip_len"]}
    try:
        test_set = common.ClipDataset(test_rows, test_faces, seed=args.seed, perturbations=args.perturbations, **seen)
        val_set = common.ClipDataset(val_rows, Path(config["faces"]), **seen)
    except ValueError as err:
        sys.exit(f"error: {run.name} was trained on clips of {config['clip_len']} frames, but {err} in "
                 f"{test_dir / 'clips.csv'}. Cut clips at least that long with 02_make_clips.py --clip-len.")
    test_probs = predict(model, test_set, device, args.batch_size)
    val_probs = predict(model, val_set, device, args.batch_size)
    out = {"config": config, "levels": {}}
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


def main(argv=None):
    args = parse_args(argv)
    device = common.pick_device(args.device)
    runs = find_runs(args)
    if args.video:
        return judge_video(args, runs, device)

    out = Path(args.out)
    perturb = ",".join(f"{k}:{v:g}" for k, v in args.perturbations)
    evaluated = {run.name: evaluate_run(run, args, device) for run in tqdm(runs, desc="evaluating", unit="model")}

    results, by_method = [], []
    for name, ev in evaluated.items():
        for level, lv in ev["levels"].items():
            y, p, m, mv = lv["y"], lv["p"], lv["at_05"], lv["at_val"]
            if len(np.unique(y)) < 2:
                print(f"warning: {name}: the {args.split} split holds only {'fake' if y.any() else 'real'} {level}s: "
                      "AUC, AP, EER and balanced accuracy are undefined (NaN); add videos of the other class.")
            row = {"model": name, "level": level, "n": len(y), "n_real": int((y == 0).sum()), "n_fake": int(y.sum()),
                   **{k: m[k] for k in SCORES}, "threshold_val": lv["threshold"],
                   **{f"{k}_val": mv[k] for k in AT_VAL}, "perturb": perturb}
            if level == "video":  # resample videos, the independent units, for the intervals
                row["auc_ci_low"], row["auc_ci_high"] = common.bootstrap_ci(y, p, common.rank_auc, args.bootstrap, args.seed)
                row["accuracy_ci_low"], row["accuracy_ci_high"] = common.bootstrap_ci(
                    y, p, lambda a, b: float(((b >= 0.5) == a).mean()), args.bootstrap, args.seed)
            results.append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
            methods = sorted({i["method"] for i in lv["items"]} - {"real"})
            for method in methods:
                sel = np.array([i["method"] in ("real", method) for i in lv["items"]])
                fakes = sel & (y == 1)
                by_method.append({"model": name, "level": level, "method": method, "n_fake": int(fakes.sum()),
                                  "n_real": int((y == 0).sum()),
                                  "auc": round(common.binary_metrics(y[sel], p[sel])["auc"], 4),
                                  "detected": round(float((p[fakes] >= 0.5).mean()), 4),
                                  "detected_val": round(float((p[fakes] >= lv["threshold"]).mean()), 4)})
        common.write_csv(out / f"predictions_{name}.csv", ev["levels"]["clip"]["items"] + ev["levels"]["video"]["items"],
                         ["level", "id", "video_id", "label", "method", "prob"])

    common.write_csv(out / "results.csv", results, RESULT_FIELDS)
    common.write_csv(out / "by_method.csv", by_method, METHOD_FIELDS)
    for level in LEVELS:
        lvs = {name: ev["levels"][level] for name, ev in evaluated.items()}
        common.plot_roc({n: (lv["y"], lv["p"]) for n, lv in lvs.items()}, out / f"roc_{level}.png",
                        f"ROC, {level} level ({args.split} split)")
        common.plot_confusions({n: tuple(lv["at_05"][k] for k in ("tn", "fp", "fn", "tp")) for n, lv in lvs.items()},
                               out / f"confusion_{level}.png", f"{level} level, threshold 0.5")
        common.plot_score_histograms({n: (lv["y"], lv["p"], lv["threshold"]) for n, lv in lvs.items()},
                                     out / f"scores_{level}.png", f"{level}-level P(fake); dashed: validation threshold")
    histories = {name: common.read_csv(run / "metrics.csv") for run in runs if (run / "metrics.csv").is_file()
                 for name in [run.name]}
    if histories:
        common.plot_training_curves(histories, out / "training_curves.png")
    write_report(out, results, by_method, {n: ev["config"] for n, ev in evaluated.items()}, args, perturb)

    print(f"\n{'model':<20} {'level':<6} {'acc':>6} {'bal.acc':>7} {'f1':>6} {'auc':>6} {'eer':>6} {'acer@val':>8}")
    for r in results:
        print(f"{r['model']:<20} {r['level']:<6} {r['accuracy']:>6.3f} {r['balanced_accuracy']:>7.3f} {r['f1']:>6.3f} "
              f"{r['auc']:>6.3f} {r['eer']:>6.3f} {r['acer_val']:>8.3f}")
    print(f"\nwrote {out / 'report.md'}, results.csv, by_method.csv and plots")


def write_report(out: Path, results: list[dict], by_method: list[dict], configs: dict, args, perturb: str) -> None:
    """report.md: the results as Markdown tables, the figures, and what each model was."""

    def f(v):
        return "n/a" if v is None or v == "" or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"

    lines = ["# Results", "",
             f"Scores on the **{args.split}** split"
             + (f" of `{args.clips}` (cross-dataset)" if args.clips else "")
             + (f", with test faces degraded by `{perturb}`" if perturb else "") + ". "
             "Fake is the positive class (the *attack*, in ISO/IEC 30107-3 terms). A video's score is the "
             "mean of its clips' P(fake). Two thresholds: 0.5, and *val*, the equal-error-rate point of the "
             "validation split. APCER: share of fakes called real; BPCER: share of reals called fake; "
             "ACER: their mean; EER: the error rate where the two are equal. MSE is the Brier score. "
             f"Brackets: 95% bootstrap intervals over {args.bootstrap} resamples of the test videos.", ""]
    for level in ("video", "clip"):
        rows = [r for r in results if r["level"] == level]
        ci = level == "video"
        lines += [f"## {level.capitalize()} level", "",
                  "| model | n (real/fake) | ROC-AUC | accuracy | balanced acc. | precision | recall | F1 | AP | MSE | EER |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            auc = f(r["auc"]) + (f" [{f(r['auc_ci_low'])}, {f(r['auc_ci_high'])}]" if ci else "")
            acc = f(r["accuracy"]) + (f" [{f(r['accuracy_ci_low'])}, {f(r['accuracy_ci_high'])}]" if ci else "")
            lines.append(f"| {r['model']} | {r['n']} ({r['n_real']}/{r['n_fake']}) | {auc} | {acc} | {f(r['balanced_accuracy'])} "
                         f"| {f(r['precision'])} | {f(r['recall'])} | {f(r['f1'])} | {f(r['ap'])} | {f(r['mse'])} | {f(r['eer'])} |")
        lines += ["", "| model | threshold | APCER | BPCER | ACER | accuracy | balanced acc. |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['model']} | 0.5 | {f(r['apcer'])} | {f(r['bpcer'])} | {f(r['acer'])} | {f(r['accuracy'])} "
                         f"| {f(r['balanced_accuracy'])} |")
            lines.append(f"| {r['model']} | val = {f(r['threshold_val'])} | {f(r['apcer_val'])} | {f(r['bpcer_val'])} "
                         f"| {f(r['acer_val'])} | {f(r['accuracy_val'])} | {f(r['balanced_accuracy_val'])} |")
        lines += ["", f"![ROC, {level} level](roc_{level}.png) ![confusion matrices](confusion_{level}.png)",
                  "", f"![scores](scores_{level}.png)", ""]
    if by_method:
        lines += ["## By manipulation method (video level)", "",
                  "Each method's fakes against all real test videos; *detected*: share of its fakes called fake.", "",
                  "| model | method | fakes | ROC-AUC | detected (0.5) | detected (val) |", "|---|---|---|---|---|---|"]
        for r in by_method:
            if r["level"] == "video":
                lines.append(f"| {r['model']} | {r['method']} | {r['n_fake']} | {f(r['auc'])} | {f(r['detected'])} "
                             f"| {f(r['detected_val'])} |")
        lines.append("")
    lines += ["## Training", "", "![training curves](training_curves.png)", "", "## Models", "",
              "| run | model | temporal | input | region | parameters | epochs | batch | lr | clip length | face size | detector | seed |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in configs.items():
        fs = c.get("face_settings", {})
        params = common.count_parameters(common.build_model(c))
        lines.append(f"| {name} | {c['model']} | {c.get('temporal', '3D conv')} | {c.get('input', 'rgb')} "
                     f"| {c.get('region', 'face')} | {params:,} "
                     f"| {c['epochs']} | {c['batch_size']} | {c['lr']} | {c['clip_len']} | {fs.get('size', '?')} "
                     f"| {fs.get('detector', '?')} | {c['seed']} |")
    common.save_atomic(out / "report.md", lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n", encoding="utf-8"))


if __name__ == "__main__":
    main()
