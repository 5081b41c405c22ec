"""The footage-cue floor: how well does what says nothing about a face in motion find the fakes?

Reals and fakes of the shared test material come from different places: camera footage and
interview clips on one side, generators' demo pages on the other. Whatever differs between those
places (how sharp the face is, the video's size, frame rate and bitrate, how large the face is in
the frame) can separate them without a single look at how the face moves. This script scores every
video by those cues alone, under exactly the folds of the leave-generator-out estimate
(benchmarks/leave_generator_out.py): in each fold a scikit-learn classifier learns the cues of the
fold's training and validation videos and scores its test videos, so every video is scored once
per seed, by a classifier that never saw its generator or its person. A model of facial dynamics
is worth reporting only as far as it stands above this floor.

The cues, per video:
  sharpness    mean variance of the Laplacian of up to 64 of its face crops (common.face_sharpness)
  face px      the face's width in the frame (median of the tracked box), in pixels
  width px     the video's native width and height, in pixels (as two cues)
  fps          its native frame rate
  bitrate      its file size over its duration, in kbit/s
The classifiers: a logistic regression on each cue alone (on its logarithm, standardised; it
learns the direction from the training videos), and on all of them together ("all cues"), and a
random forest on all of them ("all cues, forest").

Reads   --clips DIR (the folds of 02 --folds; with --seeds, DIR/seed_S/fold_K), the faces folder
        they were cut from (its index.csv, face arrays and meta files) and the videos themselves
        (their size, frame rate and bitrate)
Writes  --out DIR (default runs/logo/report_cues): results.csv (one row per classifier, video level:
        AUC with its 95% bootstrap interval, accuracy, F1 and MSE at 0.5, and each seed's AUC),
        by_family.csv (per family, without the easy-cue generators, and the paired subset),
        by_seed.csv, predictions_<classifier>.csv (the seed-averaged P(fake) of every video), cues.csv
        (every video's cues)

Run (from the repository root, after the folds of docs/real-footage.md, "Choosing by transfer"):
    python benchmarks/footage_cues.py --clips data/clips_shared --seeds 0,1,2
    python benchmarks/footage_cues.py --clips data/clips_th --seeds 0,1,2 --out runs/logo_th/report_cues
It takes a minute or two (most of it the sharpness of the face crops).
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402

CUES = ("sharpness", "face px", "width px", "height px", "fps", "bitrate")
SINGLE = {"sharpness": ["sharpness"], "face size": ["face px"], "video size": ["width px", "height px"],
          "frame rate": ["fps"], "bitrate": ["bitrate"]}
RESULT_FIELDS = ["model", "level", "n", "n_real", "n_fake", "auc", "auc_ci_low", "auc_ci_high", "accuracy", "f1", "mse",
                 "seeds", "auc_seed_mean", "auc_seed_sd", "spearman_sharpness", "tested_on"]
FAMILY_FIELDS = ["model", "level", "family", "methods", "n_fake", "n_real", "auc", "auc_ci_low", "auc_ci_high"]


def video_cues(row: dict, faces: Path) -> dict[str, float]:
    """The cues of one video (a row of 01's index.csv)."""
    meta = np.load(faces / f"{row['video_id']}.meta.npz")
    cap = cv2.VideoCapture(row["path"])
    width, height = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    fps = float(row.get("native_fps") or cap.get(cv2.CAP_PROP_FPS) or 0)
    frames = cap.get(cv2.CAP_PROP_FRAME_COUNT) or float(row.get("frames") or 0)
    cap.release()
    seconds = frames / fps if fps > 0 and frames > 0 else float("nan")
    return {"sharpness": common.face_sharpness(faces / f"{row['video_id']}.npy"),
            "face px": float(np.median(meta["boxes"][:, 2])), "width px": float(width), "height px": float(height),
            "fps": fps, "bitrate": Path(row["path"]).stat().st_size * 8 / 1000 / seconds}


def classifiers(seed: int) -> dict:
    """{name: (the cues it reads, a fresh scikit-learn classifier)}."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def logistic():
        return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1000))

    out = {name: (cues, logistic()) for name, cues in SINGLE.items()}
    out["all cues"] = (list(CUES), logistic())
    out["all cues, forest"] = (list(CUES), RandomForestClassifier(n_estimators=300, min_samples_leaf=3,
                                                                  class_weight="balanced", random_state=seed))
    return out


def features(videos: list[str], cues: dict[str, dict], names: list[str], log: bool = True) -> np.ndarray:
    # Logarithms: sizes, rates and sharpness are spread over orders of magnitude.
    x = np.array([[cues[v][c] for c in names] for v in videos], float)
    return np.log(np.maximum(x, 1e-3)) if log else x


def score_folds(folder: Path, table: dict[str, dict], seed: int, make=None, log: bool = True) -> dict[str, dict[str, float]]:
    """{classifier: {video_id: P(fake)}}: every fold's test videos, scored by classifiers fitted on
    the fold's train and val videos. table: each video's numbers (their logarithms are fitted, unless
    not log); make(seed): the classifiers (default: the footage cues' own, `classifiers`)."""
    scores: dict[str, dict[str, float]] = {}
    for fold in sorted(folder.glob("fold_*")):
        split, label = {}, {}
        for r in common.read_csv(fold / "clips.csv"):
            split[r["video_id"]], label[r["video_id"]] = r["split"], int(r["label"])
        train = [v for v, s in split.items() if s in ("train", "val")]
        test = [v for v, s in split.items() if s == "test"]
        for name, (names, model) in (make or classifiers)(seed).items():
            model.fit(features(train, table, names, log), [label[v] for v in train])
            p = model.predict_proba(features(test, table, names, log))[:, 1]
            scores.setdefault(name, {}).update(dict(zip(test, p.tolist())))
    return scores


def read_folds(clips: Path, seeds: list[int]) -> tuple[list[tuple[int, Path]], Path, dict, dict]:
    """(one (seed, folder of its folds) per seed, the faces folder, 01's index by video, the tested
    videos' clips.csv rows by video): what both benchmarks of video-level numbers read."""
    folders = [(s, clips / f"seed_{s}") for s in seeds] or [(0, clips)]
    for _, folder in folders:
        if not any(folder.glob("fold_*/clips.csv")):
            sys.exit(f"error: no folds in {folder}: make them with 02_make_clips.py --folds K (--seed S)")
    settings = common.read_json(next(folders[0][1].glob("fold_*/settings.json")))
    faces = Path(settings["faces"])
    index = {r["video_id"]: r for r in common.read_csv(faces / "index.csv")}
    tested = {r["video_id"]: r for fold in folders[0][1].glob("fold_*") for r in common.read_csv(fold / "clips.csv")
              if r["split"] == "test"}
    return folders, faces, index, tested


def write_report(per_seed: dict[int, dict[str, dict[str, float]]], tested: dict, sharp: dict[str, float], out: Path,
                 n_boot: int, tested_on: str) -> list[dict]:
    """Score every classifier's seed-averaged P(fake) as the leave-generator-out report does:
    results.csv (AUC with its bootstrap interval, each seed's AUC, rank correlation with the face
    crops' sharpness), by_family.csv (with the paired subset), by_seed.csv, predictions_NAME.csv.
    per_seed: {seed: {classifier: {video_id: P(fake)}}}; sharp: each tested video's sharpness."""
    from scipy.stats import spearmanr

    videos = sorted(tested)
    y = np.array([int(tested[v]["label"]) for v in videos])
    family = np.array([common.family_of(tested[v]["method"]) for v in videos])
    easy = np.array([tested[v]["method"] in common.EASY_CUES for v in videos])
    paired = common.paired_groups([{"group": tested[v]["group"], "label": tested[v]["label"]} for v in videos])
    same = np.array([tested[v]["group"] in paired for v in videos])
    sharpness = np.array([sharp[v] for v in videos])
    results, by_family, by_seed = [], [], []
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("predictions_*.csv"):  # an earlier run's classifiers: collect.py would take them for this run's
        old.unlink()
    first = next(iter(per_seed))
    for name in per_seed[first]:
        if any(set(per_seed[s][name]) != set(videos) for s in per_seed):
            sys.exit("error: the seeds' folds did not test the same videos; cut them from the same faces")
        seed_p = {s: np.array([per_seed[s][name][v] for v in videos]) for s in per_seed}
        prob = np.mean(list(seed_p.values()), axis=0)
        aucs = [common.rank_auc(y, sp) for sp in seed_p.values()]
        low, high = common.bootstrap_ci(y, prob, common.rank_auc, n_boot, 0)
        m = common.binary_metrics(y, prob, 0.5)
        results.append({"model": name, "level": "video", "n": len(y), "n_real": int((y == 0).sum()),
                        "n_fake": int(y.sum()), "auc": round(m["auc"], 4), "auc_ci_low": round(low, 4),
                        "auc_ci_high": round(high, 4), "accuracy": round(m["accuracy"], 4), "f1": round(m["f1"], 4),
                        "mse": round(m["mse"], 4), "seeds": len(aucs), "auc_seed_mean": round(float(np.mean(aucs)), 4),
                        "auc_seed_sd": round(float(np.std(aucs, ddof=1)), 4) if len(aucs) > 1 else "",
                        "spearman_sharpness": round(float(spearmanr(prob, sharpness).statistic), 4),
                        "tested_on": tested_on})
        subsets = [(fam, (family == fam) | (y == 0)) for fam in common.FAMILIES if (family == fam).any()]
        subsets += [("all but easy cues", ~easy), ("same person (paired)", same)]
        for fam, sel in subsets:
            if len(np.unique(y[sel])) < 2:
                continue
            lo, hi = common.bootstrap_ci(y[sel], prob[sel], common.rank_auc, n_boot, 0)
            by_family.append({"model": name, "level": "video", "family": fam,
                              "methods": " ".join(sorted({tested[v]["method"] for v, s, label in zip(videos, sel, y)
                                                          if s and label == 1})),
                              "n_fake": int(y[sel].sum()), "n_real": int((y[sel] == 0).sum()),
                              "auc": round(common.rank_auc(y[sel], prob[sel]), 4), "auc_ci_low": round(lo, 4),
                              "auc_ci_high": round(hi, 4)})
        for s, sp in seed_p.items():
            by_seed.append({"model": name, "seed": f"seed_{s}", "family": "all", "n_fake": int(y.sum()),
                            "n_real": int((y == 0).sum()), "auc": round(common.rank_auc(y, sp), 4)})
        common.write_csv(out / f"predictions_{name.replace(' ', '_').replace(',', '').replace('+', 'and')}.csv",
                         [{"level": "video", "id": v, "video_id": v, "label": int(l), "method": tested[v]["method"],
                           "group": tested[v]["group"], "prob": float(q)} for v, l, q in zip(videos, y, prob)],
                         ["level", "id", "video_id", "label", "method", "group", "prob"])
    common.write_csv(out / "results.csv", results, RESULT_FIELDS)
    common.write_csv(out / "by_family.csv", by_family, FAMILY_FIELDS)
    common.write_csv(out / "by_seed.csv", by_seed, ["model", "seed", "family", "n_fake", "n_real", "auc"])
    print(f"\nover {len(y)} videos ({int((y == 0).sum())} real, {int(y.sum())} fake), {len(per_seed)} seed(s) of the "
          "folds: video AUC [95% CI]; each seed's; Spearman with sharpness")
    for r in results:
        print(f"  {r['model']:<22} {r['auc']:.3f} [{r['auc_ci_low']:.3f}, {r['auc_ci_high']:.3f}]  "
              f"seeds {r['auc_seed_mean']:.3f} +- {r['auc_seed_sd'] or 0:.3f}  rho {r['spearman_sharpness']:+.2f}")
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", required=True, help="the folds (02 --folds), or with --seeds the folder of seed_S/fold_K")
    p.add_argument("--seeds", default="", help="the seeds whose folds to use, e.g. 0,1,2 (default: the folds in --clips)")
    p.add_argument("--out", default="runs/logo/report_cues", help="the report folder (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals (default: %(default)s)")
    args = p.parse_args(argv)
    clips = Path(args.clips)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    folders, faces, index, tested = read_folds(clips, seeds)
    cues = {v: video_cues(index[v], faces) for v in tqdm(sorted(tested), desc="cues of the test videos", unit="video")}
    everyone = {r["video_id"] for _, folder in folders for fold in folder.glob("fold_*")
                for r in common.read_csv(fold / "clips.csv")}
    for v in tqdm(sorted(everyone - set(cues)), desc="cues of the training videos", unit="video"):
        cues[v] = video_cues(index[v], faces)

    per_seed = {s: score_folds(folder, cues, s) for s, folder in folders}
    out = Path(args.out)
    print("the footage-cue floor", end="")
    write_report(per_seed, tested, {v: cues[v]["sharpness"] for v in tested}, out, args.bootstrap,
                 f"{len(folders)} seeds of the folds in {clips}")
    common.write_csv(out / "cues.csv", [{"video_id": v, "label": index[v]["label"], "method": index[v]["method"],
                                         **{c: round(cues[v][c], 3) for c in CUES}} for v in sorted(cues)],
                     ["video_id", "label", "method", *CUES])
    print(f"wrote {out}/results.csv, by_family.csv, by_seed.csv, cues.csv, predictions_*.csv")


if __name__ == "__main__":
    main()
