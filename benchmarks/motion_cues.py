"""Motion evidence: how the mouth, jaw, eyes and head move, per video, from the mesh that 01 stores,
scored under the leave-generator-out folds, alone and fused late with a temporal model's scores.

The temporal models read pixels, and pixels carry the footage's quality (docs/real-footage.md,
'Judging the face, not the footage: what was tried'). The face mesh is geometry in eye distances: a blurred or
smaller face moves the same way. BioLip (arXiv 2604.16808) reads fakes from the kinematics of the
lip points alone; this script asks whether such per-video statistics find the shared material's
generators they never saw. Per video, from the mesh aligned onto its mean face (align_meshes):

  mouth, jaw, eyes, brows   the mean speed, acceleration and jerk of each part's points per frame
                            (in eye distances, 25 frames a second): their mean, their spread over
                            time relative to the mean, and their 90th percentile
  mouth_open, mouth_width, jaw_drop   spread over time, mean frame-to-frame change, and lag-1
                            autocorrelation of that change (smooth speech is correlated)
  lips and jaw together     correlation of mouth opening with jaw drop, and of their changes
  eyes                      spread of the eye opening, share of frames in a blink (under 60% of
                            the video's median opening), correlation of the two eyes' openings
  head                      spread and mean change of yaw, pitch and roll; spread of the scale

Classifiers (scikit-learn, fitted on each fold's train and val videos, exactly the folds of the
estimate): a standardised logistic regression ("motion, logistic") and a random forest ("motion, forest").
Fusion, with --fuse SEEDS_CSV (the seeds_<model>.csv of a pooled report of the same folds): for
each seed and each fold, a logistic regression on the two scores' logits, fitted on the videos of
the seed's *other* folds, whose scores are themselves out of fold; then applied to the fold. So no
video's fused score comes from a rule that saw its label ("<model> + motion, ...").

What the quality check (05 --quality-check) measures does not carry over: the mesh here was
measured on the original frames. A blurred or smaller face gives a noisier mesh (more jerk), so
motion statistics are not free of quality either; the rank correlation with the face crops'
sharpness is reported beside each AUC for that reason, and the footage-cue floor
(benchmarks/footage_cues.py) beside them in the docs.

Reads   --clips DIR (the folds of 02 --folds; with --seeds, DIR/seed_S/fold_K) and the faces folder
        they were cut from (index.csv, the .meta.npz meshes; the .npy crops for sharpness)
Writes  --out DIR (default runs/logo/report_motion): results.csv, by_family.csv, by_seed.csv,
        predictions_NAME.csv (as benchmarks/footage_cues.py writes them), motion.csv (every video's
        statistics)

Run (from the repository root, after the folds of docs/real-footage.md, "Choosing by transfer"):
    python benchmarks/motion_cues.py --clips data/clips_shared --seeds 0,1,2 \\
        --fuse paper/results/logo_shared_lstm_g_sbi/seeds_lstm_g_sbi.csv --fuse-name CNN-LSTM --out runs/shared/report_motion
It takes about a minute.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import common  # noqa: E402
import footage_cues  # noqa: E402

# The mesh aligned onto the face's own mean shape: what is left when where the face is, how large
# and which way it turns are taken out is how it moves (the statistics below read the mouth's and the
# jaw's motion from it). Each frame is scaled by the eye distance (3D, outer corners) and
# mapped onto the mean face by a similarity (rotation, scale, shift: Umeyama's least squares)
# fitted to points that speech does not move: eye corners, nose bridge, forehead, temples.
MESH_STABLE = [33, 133, 362, 263, 6, 168, 197, 195, 10, 151, 9, 8, 127, 356, 234, 454]


def align_meshes(mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Meshes [T, 468, 3] aligned onto their mean face: (aligned [T, 468, 3] in eye distances,
    rotations [T, 3, 3], scales [T], shifts [T, 3]) of the similarity that aligns each frame."""
    eyes = np.linalg.norm(mesh[:, 33] - mesh[:, 263], axis=-1)
    m = mesh / max(float(np.median(eyes)), 1e-6)
    ref = m[:, MESH_STABLE].mean(axis=0)
    for _ in range(2):  # the mean of the aligned frames is a steadier reference than the raw mean
        x = m[:, MESH_STABLE]
        mx, mr = x.mean(axis=1, keepdims=True), ref.mean(axis=0)
        xc, rc = x - mx, ref - mr
        u, sv, vt = np.linalg.svd(np.einsum("pi,tpj->tij", rc, xc))  # cross-covariance, per frame
        d = np.sign(np.linalg.det(u @ vt))  # no reflections
        u[:, :, -1] *= d[:, None]
        sv[:, -1] *= d
        rot = u @ vt
        scale = sv.sum(axis=1) / np.maximum((xc ** 2).sum(axis=(1, 2)), 1e-12)
        aligned = scale[:, None, None] * np.einsum("tij,tpj->tpi", rot, m - mx) + mr
        ref = aligned[:, MESH_STABLE].mean(axis=0)
    return aligned, rot, scale, mx[:, 0]


PARTS = {"mouth": common.MESH_LIPS_OUTER + common.MESH_LIPS_INNER, "jaw": common.MESH_JAW,
         "eyes": [33, 133, 159, 145, 362, 263, 386, 374], "brows": [70, 105, 107, 336, 334, 300]}


def corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 where either series is constant."""
    if len(a) < 3 or a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def motion_statistics(mesh: np.ndarray) -> dict[str, float]:
    """The per-video statistics (module docstring) of meshes [T, 468, 3]."""
    aligned, _, scale, _ = align_meshes(mesh.astype(np.float64))
    out = {}
    for part, idx in PARTS.items():
        p = aligned[:, idx]
        for order, what in ((1, "speed"), (2, "acceleration"), (3, "jerk")):
            d = np.linalg.norm(np.diff(p, n=order, axis=0), axis=-1).mean(axis=1)
            mean = max(float(d.mean()), 1e-9)
            # Logarithms of the magnitudes: they spread over orders of magnitude between videos.
            out[f"{part} {what}"] = np.log(mean)
            out[f"{part} {what} spread"] = float(d.std() / mean)
            out[f"{part} {what} p90"] = np.log(max(float(np.percentile(d, 90)), 1e-9))
    s = common.face_signals(mesh)
    for k in ("mouth_open", "mouth_width", "jaw_drop"):
        x, dx = s[k], np.diff(s[k])
        out[f"{k} spread"] = float(x.std())
        out[f"{k} change"] = float(np.abs(dx).mean())
        out[f"{k} change autocorrelation"] = corr(dx[:-1], dx[1:])
    out["lips with jaw"] = corr(s["mouth_open"], s["jaw_drop"])
    out["lips with jaw, changes"] = corr(np.diff(s["mouth_open"]), np.diff(s["jaw_drop"]))
    eyes = (s["eye_right"] + s["eye_left"]) / 2
    out["eye opening spread"] = float(eyes.std() / max(float(np.median(eyes)), 1e-6))
    out["blink share"] = float((eyes < 0.6 * np.median(eyes)).mean())
    out["eyes together"] = corr(s["eye_right"], s["eye_left"])
    for k in ("yaw", "pitch", "roll"):
        out[f"{k} spread"] = float(s[k].std())
        out[f"{k} change"] = float(np.abs(np.diff(s[k])).mean())
    out["scale spread"] = float(np.log(scale).std())
    return {k: float(np.nan_to_num(v)) for k, v in out.items()}


def classifiers(seed: int, names: list[str]) -> dict:
    """{name: (the statistics it reads, a fresh classifier)}: both read all the `names`."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {"motion, logistic": (names, make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced",
                                                                                 max_iter=2000))),
            "motion, forest": (names, RandomForestClassifier(n_estimators=300, min_samples_leaf=3,
                                                             class_weight="balanced", random_state=seed))}


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def fuse(folder: Path, first: dict[str, float], second: dict[str, float]) -> dict[str, float]:
    """Late fusion of two out-of-fold scores of the same videos, for one seed's folds: each fold's
    test videos get a logistic regression on both logits fitted on the other folds' test videos."""
    from sklearn.linear_model import LogisticRegression

    fold_of, label = {}, {}
    for fold in sorted(folder.glob("fold_*")):
        for r in common.read_csv(fold / "clips.csv"):
            if r["split"] == "test":
                fold_of[r["video_id"]], label[r["video_id"]] = fold.name, int(r["label"])
    x = {v: [logit(np.array(first[v])), logit(np.array(second[v]))] for v in fold_of}
    fused = {}
    for fold in sorted(set(fold_of.values())):
        fit = [v for v in fold_of if fold_of[v] != fold]
        test = [v for v in fold_of if fold_of[v] == fold]
        rule = LogisticRegression(class_weight="balanced").fit([x[v] for v in fit], [label[v] for v in fit])
        fused.update(zip(test, rule.predict_proba([x[v] for v in test])[:, 1].tolist()))
    return fused


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", required=True, help="the folds (02 --folds), or with --seeds the folder of seed_S/fold_K")
    p.add_argument("--seeds", default="", help="the seeds whose folds to use, e.g. 0,1,2 (default: the folds in --clips)")
    p.add_argument("--fuse", default=None, metavar="SEEDS_CSV",
                   help="a pooled report's seeds_<model>.csv over the same seeds' folds: also score its model fused "
                        "late with each motion classifier (default: the motion classifiers alone)")
    p.add_argument("--fuse-name", default=None, metavar="NAME",
                   help="what to call that model in the report (default: the file's <model>)")
    p.add_argument("--out", default="runs/logo/report_motion", help="the report folder (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals (default: %(default)s)")
    args = p.parse_args(argv)
    clips = Path(args.clips)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    folders, faces, index, tested = footage_cues.read_folds(clips, seeds)
    everyone = sorted({r["video_id"] for _, folder in folders for fold in folder.glob("fold_*")
                       for r in common.read_csv(fold / "clips.csv")})
    stats = {}
    for v in tqdm(everyone, desc="motion statistics", unit="video"):
        meta = np.load(faces / f"{v}.meta.npz")
        if "mesh" not in meta:
            sys.exit(f"error: {faces / v}.meta.npz has no face mesh: extract the faces with 01_extract_faces.py --mesh on")
        stats[v] = motion_statistics(meta["mesh"])
    names = list(next(iter(stats.values())))
    per_seed = {s: footage_cues.score_folds(folder, stats, s, lambda seed: classifiers(seed, names), log=False)
                for s, folder in folders}

    if args.fuse:
        rows = common.read_csv(Path(args.fuse))
        model = args.fuse_name or Path(args.fuse).stem.removeprefix("seeds_")
        for s, folder in folders:
            theirs = {r["video_id"]: float(r["prob"]) for r in rows if r["seed"] == f"seed_{s}"}
            missing = set(tested) - set(theirs)
            if missing:
                sys.exit(f"error: {args.fuse} has no seed_{s} score of {len(missing)} tested videos (e.g. "
                         f"{sorted(missing)[0]}): give the seeds_*.csv of a report over the same folds")
            per_seed[s][model] = {v: theirs[v] for v in tested}
            for name in ("motion, logistic", "motion, forest"):
                per_seed[s][f"{model} + {name}"] = fuse(folder, theirs, per_seed[s][name])

    out = Path(args.out)
    sharp = {v: common.face_sharpness(faces / f"{v}.npy") for v in tqdm(sorted(tested), desc="sharpness", unit="video")}
    print("motion evidence", end="")
    footage_cues.write_report(per_seed, tested, sharp, out, args.bootstrap, f"{len(folders)} seeds of the folds in {clips}")
    common.write_csv(out / "motion.csv", [{"video_id": v, "label": index[v]["label"], "method": index[v]["method"],
                                           **{k: round(x, 5) for k, x in stats[v].items()}} for v in everyone],
                     ["video_id", "label", "method", *names])
    print(f"wrote {out}/results.csv, by_family.csv, by_seed.csv, motion.csv, predictions_*.csv")


if __name__ == "__main__":
    main()
