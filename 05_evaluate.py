"""Step 5: test every trained model and write a report; or judge one video.

Reads   every run folder under runs/ that holds a best.pt (or the folders given to --runs), and the
        test split of --clips (default: the clips folder each run was trained on)
Writes  --out (default runs/report):
          results.csv            one row per model and level (clip, video): accuracy, precision,
                                 recall, f1, auc, mse (Brier score) and the confusion matrix
          predictions_<model>.csv  every test clip's and video's probability of being fake
          roc_clip.png, roc_video.png   ROC curves of all models, per level
          training_curves.png    loss and validation AUC per epoch of every run
          report.md              the results table, ready for a paper, and each run's settings
A video's score is the mean of its clips' probabilities.

Run:
    python 05_evaluate.py                                   # every run under runs/
    python 05_evaluate.py --runs runs/cnn_lstm runs/c3d
    python 05_evaluate.py --video my_clip.mp4               # P(fake) of one video, per model
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
RESULT_FIELDS = ["model", "level", "n", "accuracy", "precision", "recall", "f1", "auc", "mse", "tn", "fp", "fn", "tp"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", nargs="+", default=None, help="run folders to evaluate (default: every folder under runs/ with a best.pt)")
    p.add_argument("--clips", default=None, help="clips folder to test on (default: the one each run was trained on)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"], help="which split to score (default: %(default)s)")
    p.add_argument("--out", default="runs/report", help="report folder (default: %(default)s)")
    p.add_argument("--video", default=None, help="judge this one video instead of writing a report")
    p.add_argument("--batch-size", type=int, default=32, help="clips per forward pass (default: %(default)s)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    return p.parse_args(argv)


def find_runs(args) -> list[Path]:
    runs = [Path(r) for r in args.runs] if args.runs else sorted(p.parent for p in Path("runs").glob("*/best.pt"))
    missing = [r for r in runs if not (r / "best.pt").is_file()]
    for r in missing:
        print(f"warning: {r} has no best.pt (not trained, or training was interrupted before epoch 1); skipped")
    runs = [r for r in runs if r not in missing]
    if not runs:
        sys.exit("error: no trained model found. Train one first: python 03_train_cnn_lstm.py")
    return runs


def load_run(run: Path, device) -> tuple[torch.nn.Module, dict]:
    """Rebuild a run's model from its checkpoint (weights_only: a checkpoint is data, never code)."""
    ckpt = torch.load(run / "best.pt", map_location=device, weights_only=True)
    model = common.build_model(ckpt["config"])
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), ckpt["config"]


@torch.no_grad()
def predict(model, clips: torch.Tensor | torch.utils.data.Dataset, device, batch_size: int) -> np.ndarray:
    """P(fake) for every clip of a dataset (or a stacked tensor of clips)."""
    loader = torch.utils.data.DataLoader(clips, batch_size=batch_size)
    probs = []
    for batch in loader:
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        probs.append(torch.sigmoid(model(x.to(device))).cpu().numpy())
    return np.concatenate(probs)


def judge_video(args, runs, device) -> None:
    """Face extraction and clips exactly as in training, then each model's P(fake) for one video."""
    path = Path(args.video)
    extracted = {}  # runs trained on the same faces share one extraction
    for run in runs:
        model, config = load_run(run, device)
        fs = config.get("face_settings") or {}
        if not fs:
            print(f"warning: {run} does not record its face-extraction settings; using 01's defaults")
        key = json.dumps(fs, sort_keys=True)
        if key not in extracted:
            detector = common.make_detector(fs.get("detector", "haar"), fs.get("detector_model"))
            try:
                extracted[key] = common.extract_faces(path, detector, fs.get("size", 48), fs.get("margin", 0.15),
                                                      fs.get("detect_width", 320), fs.get("detect_every", 3),
                                                      fs.get("max_gap", 12), fs.get("smooth", 5))
            except common.VideoError as err:
                sys.exit(f"error: {path}: cannot read it as a video ({err})")
        faces = extracted[key]
        clip_len = config["clip_len"]
        starts = common.clip_windows(faces["frame_idx"], clip_len, max(1, clip_len // 2))
        if not starts:
            sys.exit(f"error: {path}: found a face in {len(faces['crops'])} of {faces['frames']} frames, "
                     f"fewer than one clip of {clip_len} consecutive frames; try a longer or clearer video.")
        clips = torch.stack([common.clip_to_tensor(faces["crops"][s : s + clip_len]) for s in starts])
        probs = predict(model, clips, device, args.batch_size)
        p = float(probs.mean())
        print(f"{run.name:>20}: P(fake) = {p:.3f} -> {'FAKE' if p >= 0.5 else 'real'} "
              f"({len(starts)} clips, clip scores {probs.min():.2f}-{probs.max():.2f})")


def main(argv=None):
    args = parse_args(argv)
    device = common.pick_device(args.device)
    runs = find_runs(args)
    if args.video:
        return judge_video(args, runs, device)

    out = Path(args.out)
    results, curves, histories, settings = [], {lvl: {} for lvl in LEVELS}, {}, {}
    for run in tqdm(runs, desc="evaluating", unit="model"):
        name = run.name
        model, config = load_run(run, device)
        clips_dir = Path(args.clips or config["clips"])
        faces_dir = Path(config["faces"]) if not args.clips else Path(
            common.read_json(clips_dir / "settings.json")["faces"])
        rows = [r for r in common.read_csv(clips_dir / "clips.csv") if r["split"] == args.split]
        if not rows:
            sys.exit(f"error: {clips_dir / 'clips.csv'} has no {args.split} clips.")
        probs = predict(model, common.ClipDataset(rows, faces_dir), device, args.batch_size)
        clip_rows = [{"level": "clip", "id": r["clip_id"], "video_id": r["video_id"], "label": int(r["label"]),
                      "method": r["method"], "prob": round(float(p), 6)} for r, p in zip(rows, probs)]
        video_rows = [{"level": "video", "id": v["video_id"], **v, "prob": round(v["prob"], 6)}
                      for v in common.video_level(clip_rows)]
        common.write_csv(out / f"predictions_{name}.csv", clip_rows + video_rows,
                         ["level", "id", "video_id", "label", "method", "prob"])
        for level, level_rows in (("clip", clip_rows), ("video", video_rows)):
            y = np.array([int(r["label"]) for r in level_rows])
            p = np.array([r["prob"] for r in level_rows])
            m = common.binary_metrics(y, p)
            results.append({"model": name, "level": level, **{k: (round(v, 4) if isinstance(v, float) else v)
                                                               for k, v in m.items()}})
            curves[level][name] = (y, p)
        if (run / "metrics.csv").is_file():
            histories[name] = common.read_csv(run / "metrics.csv")
        settings[name] = config

    common.write_csv(out / "results.csv", results, RESULT_FIELDS)
    for level in LEVELS:
        common.plot_roc(curves[level], out / f"roc_{level}.png", f"ROC, {level} level ({args.split} split)")
    if histories:
        common.plot_training_curves(histories, out / "training_curves.png")
    write_report(out, results, settings, args.split)

    print(f"\n{'model':<20} {'level':<6} {'acc':>6} {'f1':>6} {'auc':>6} {'mse':>6}")
    for r in results:
        print(f"{r['model']:<20} {r['level']:<6} {r['accuracy']:>6.3f} {r['f1']:>6.3f} {r['auc']:>6.3f} {r['mse']:>6.3f}")
    print(f"\nwrote {out / 'report.md'}, results.csv and plots")


def write_report(out: Path, results: list[dict], settings: dict, split: str) -> None:
    """report.md: the results as a Markdown table, the figures, and what each model was."""
    lines = ["# Results", "",
             f"Scores on the **{split}** split. A video's score is the mean of its clips' P(fake); "
             "the decision threshold is 0.5. MSE is the Brier score (lower is better).", ""]
    for level in LEVELS:
        lines += [f"## {level.capitalize()} level", "",
                  "| model | n | accuracy | precision | recall | F1 | ROC-AUC | MSE | TN | FP | FN | TP |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in results:
            if r["level"] == level:
                lines.append(f"| {r['model']} | {r['n']} | {r['accuracy']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} "
                             f"| {r['f1']:.3f} | {r['auc']:.3f} | {r['mse']:.3f} | {r['tn']} | {r['fp']} | {r['fn']} | {r['tp']} |")
        lines += ["", f"![ROC, {level} level](roc_{level}.png)", ""]
    lines += ["## Training", "", "![training curves](training_curves.png)", "", "## Models", "",
              "| run | model | temporal | input | epochs | batch | lr | clip length | seed |", "|---|---|---|---|---|---|---|---|---|"]
    for name, c in settings.items():
        lines.append(f"| {name} | {c['model']} | {c.get('temporal', '3D conv')} | {c.get('input', 'rgb')} | {c['epochs']} "
                     f"| {c['batch_size']} | {c['lr']} | {c['clip_len']} | {c['seed']} |")
    common.save_atomic(out / "report.md", lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n", encoding="utf-8"))


if __name__ == "__main__":
    main()
