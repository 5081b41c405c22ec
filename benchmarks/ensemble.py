"""What is the shipped verdict worth? The mean of several models' P(fake), estimated like one model.

05_evaluate.py --video judges a video by the mean of the shipped models' P(fake) (an ensemble of
two CNN-LSTMs, the mouth band and the lips; before 2026-12-04, of the mouth band and the C3D).
Each model has its own leave-generator-out estimate; this script scores every video of those
estimates by the mean of the models' seed-averaged P(fake), which is what the ensemble would have
said had it been trained on each fold, and reports it as 05 reports a model: the pooled video AUC
with its 95% bootstrap interval, the AUC per family and on the same-person subset, the paired
difference from each member and from any other verdict (--against; the same videos, one
resampling), and the quality check. The quality shifts are
exact, not re-measured: a shift is a mean of P(fake) over the same real videos, and the mean of
the models' means is the ensemble's mean. The rank correlation with sharpness is computed anew
from the ensemble's scores.

Reads   the pooled reports of benchmarks/leave_generator_out.py (runs/shared/report_NAME: its
        predictions_NAME.csv, its seeds_NAME.csv for who each video shows (the same-person subset),
        and, when it was run with --quality-check, quality.csv), and the faces
        folder of the tested videos (--faces, for the sharpness of their crops)
Writes  --out DIR: predictions_video.csv (every video's ensemble P(fake), and each member's),
        ensemble.csv (AUC with interval, per family, the paired differences, and each seed's), quality.csv and,
        where every member's report has the same seeds, seeds_ensemble.csv (each seed's ensemble,
        for benchmarks/motion_cues.py --fuse)
Prints  the same

Run (from the repository root, after the estimates of docs/real-footage.md):
    python benchmarks/ensemble.py runs/shared/report_lstm_g_sbi_qmj runs/shared/report_c3d_g_sbi \\
        --faces data/faces_shared --out runs/shared/report_ensemble_c3d
    # the shipped verdict, and its paired difference from the one above (--against: another ensemble or model)
    python benchmarks/ensemble.py runs/shared/report_lstm_g_sbi_qmj runs/shared/report_lstm_g_sbi_qlj \\
        --faces data/faces_shared --out runs/shared/report_ensemble \\
        --against ensemble_c3d=runs/shared/report_ensemble_c3d/predictions_video.csv
    # one seed of each: what one trained model of each member scores (REPORT@seed_S)
    python benchmarks/ensemble.py paper/results/logo_shared_lstm_g_sbi_qmj@seed_0 \\
        paper/results/logo_shared_lstm_g_sbi_qlj@seed_0 --faces data/faces_shared --out /tmp/verdict_seed0
"""

import argparse
import importlib
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402

evaluate = importlib.import_module("05_evaluate")  # its quality check's limits and sharpness correlation


def predictions(report: Path, out: Path) -> tuple[str, Path]:
    """(model name, its predictions file) of a pooled report of one model. A report copied into
    paper/results holds predictions_video.csv: its model is then named by its seeds_<model>.csv.
    REPORT@seed_S is one seed of a report run with --seeds: that seed's P(fake) (its seeds_<model>.csv),
    written as a predictions file into `out` (a scratch folder), the member named <model>@seed_S."""
    report, _, seed = str(report).partition("@")
    report = Path(report)
    if seed:
        name = predictions(report, out)[0]
        table = report / f"seeds_{name}.csv"
        rows = [r for r in common.read_csv(table) if r["seed"] == seed] if table.is_file() else []
        if not rows:
            sys.exit(f"error: {report}@{seed}: no rows of {seed} in {table} (a report of --seeds holds seed_0, seed_1, ...)")
        path = out / f"member_{name}@{seed}.csv"
        common.write_csv(path, rows, list(rows[0]))
        return f"{name}@{seed}", path
    files = sorted(report.glob("predictions_*.csv"))
    if len(files) != 1:
        sys.exit(f"error: {report} holds {len(files)} predictions_<model>.csv files; give the pooled report of one "
                 "model (benchmarks/leave_generator_out.py writes runs/.../report_NAME)")
    name = files[0].stem[len("predictions_"):]
    seeds = sorted(report.glob("seeds_*.csv"))
    if name == "video" and len(seeds) == 1:
        name = seeds[0].stem[len("seeds_"):]
    return name, files[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reports", nargs="+", type=Path,
                   help="pooled reports of the models to average (two or more); REPORT@seed_S: one seed of a report")
    p.add_argument("--faces", type=Path, required=True, help="the faces folder of the tested videos (for sharpness)")
    p.add_argument("--out", type=Path, required=True, help="folder for the ensemble's figures")
    p.add_argument("--against", nargs="+", default=[], metavar="NAME=FILE",
                   help="other verdicts to compare with, paired: a predictions_video.csv of this script (another "
                        "ensemble) or of a model, on the same videos")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap draws (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if len(args.reports) < 2:
        p.error("an ensemble needs two reports or more")
    for report in args.reports:
        if not Path(str(report).partition("@")[0]).is_dir():
            sys.exit(f"error: {report} is not a report folder of benchmarks/leave_generator_out.py")
    if len({str(r) for r in args.reports}) < len(args.reports):
        sys.exit("error: a report is given twice: give each model's report once")
    scratch = tempfile.TemporaryDirectory()  # one seed's scores, as a file; removed when the script ends
    members = [predictions(r, Path(scratch.name)) for r in args.reports]
    args.reports = [Path(str(r).partition("@")[0]) for r in args.reports]  # the folders, for their other files
    if len({name for name, _ in members}) < len(members):
        sys.exit(f"error: two reports name the same model ({', '.join(name for name, _ in members)}): give each "
                 "model's report once")
    against = {}  # other verdicts to compare with, e.g. the one this ensemble replaces: name -> file
    for item in args.against:
        name, _, path = item.partition("=")
        if not name or not Path(path).is_file():
            sys.exit(f"error: --against {item}: give NAME=FILE, FILE a predictions_video.csv of ensemble.py or 05")
        against[name] = Path(path)

    # One order of videos for every member; a member that scored other videos is refused.
    first = members[0][1]
    scores = {}
    for name, path in members:
        try:
            y, _, scores[name] = common.paired_video_scores(first, path)
        except ValueError as err:
            sys.exit(f"error: {err}: the reports must score the same videos (the same folds)")
    others = {}
    for name, path in against.items():
        try:
            _, _, others[name] = common.paired_video_scores(first, path)
        except ValueError as err:
            sys.exit(f"error: --against {name}: {err}")
    rows = {r["video_id"]: r for r in common.read_csv(first) if r.get("level", "video") == "video"}
    ids = sorted(rows)
    ensemble = np.mean(list(scores.values()), axis=0)

    auc = common.rank_auc(y, ensemble)
    low, high = common.bootstrap_ci(y, ensemble, common.rank_auc, args.bootstrap, args.seed)
    results = [{"what": "ensemble", "videos": len(y), "fakes": int(y.sum()), "auc": round(auc, 4),
                "low": round(low, 4), "high": round(high, 4)}]
    print(f"ensemble of {', '.join(scores)}: video AUC {auc:.3f} [{low:.3f}, {high:.3f}] over {len(y)} videos "
          f"({int(y.sum())} fake)")
    for name, s in {**scores, **others}.items():
        d = common.paired_auc_difference(y, ensemble, s, args.bootstrap, args.seed)
        print(f"  against {name}{'' if name in others else ' alone'} ({common.rank_auc(y, s):.3f}): "
              f"{d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] (paired bootstrap)")
        results.append({"what": f"ensemble - {name}", "videos": len(y), "fakes": int(y.sum()),
                        "auc": round(d["diff"], 4), "low": round(d["low"], 4), "high": round(d["high"], 4)})
    family = np.array([common.family_of(rows[i]["method"]) if rows[i]["label"] == "1" else "" for i in ids])
    subsets = {fam: (family == fam) | (y == 0) for fam in sorted(set(family) - {""})}  # a family's fakes, every real
    # The same-person subset, as 05 cuts it, where a report's seeds_<model>.csv says who each video shows.
    seed_tables = [rep / f"seeds_{name.partition('@')[0]}.csv" for rep, (name, _) in zip(args.reports, members)]
    groups = {r["video_id"]: r["group"] for table in seed_tables if table.is_file() for r in common.read_csv(table)}
    if all(i in groups for i in ids):
        paired = common.paired_groups([{"group": groups[i], "label": rows[i]["label"]} for i in ids])
        subsets["same person (paired)"] = np.array([groups[i] in paired for i in ids])
    for fam, keep in subsets.items():
        f_auc = common.rank_auc(y[keep], ensemble[keep])
        f_low, f_high = common.bootstrap_ci(y[keep], ensemble[keep], common.rank_auc, args.bootstrap, args.seed)
        print(f"  {fam:<13} {f_auc:.3f} [{f_low:.3f}, {f_high:.3f}]  ({int(y[keep].sum())} fakes)")
        results.append({"what": fam, "videos": int(keep.sum()), "fakes": int(y[keep].sum()),
                        "auc": round(f_auc, 4), "low": round(f_low, 4), "high": round(f_high, 4)})

    # The quality check: each member's shifts averaged (exact), the correlation anew.
    quality = []
    # (A report's quality.csv is of its seed-averaged scores: not of one seed's, so not for REPORT@seed_S.)
    checks = [{r["check"]: r for r in common.read_csv(rep / "quality.csv")}
              if (rep / "quality.csv").is_file() and "@" not in name else {} for rep, (name, _) in zip(args.reports, members)]
    for check in sorted(set.intersection(*(set(c) for c in checks)) if all(checks) else set()):
        if check.startswith("spearman"):
            continue
        shift = float(np.mean([float(c[check]["shift"]) for c in checks]))
        quality.append({"check": check, "shift": round(shift, 4), "limit": evaluate.QUALITY_LIMITS["shift"],
                        "passed": abs(shift) <= evaluate.QUALITY_LIMITS["shift"]})
    if not all(checks):
        print("  (no quality check: a member has no quality.csv of its own scores; run its estimate with --quality-check)")
    missing = [i for i in ids if not (args.faces / f"{i}.npy").is_file()]
    if missing:
        sys.exit(f"error: {len(missing)} tested videos have no face array in {args.faces} (e.g. {missing[0]}): "
                 "give the faces folder the folds were cut from")
    rho = evaluate.sharpness_correlation([{"video_id": i} for i in ids], ensemble, args.faces)
    limit = evaluate.QUALITY_LIMITS["spearman"]
    quality.append({"check": "spearman(score, sharpness)", "shift": rho, "limit": limit, "passed": abs(rho) <= limit})
    for q in quality:
        verdict = "ok" if q["passed"] else f"WARNING: past {q['limit']}: the ensemble reads footage quality"
        print(f"  quality {q['check']:<28} {q['shift']:+.3f}  {verdict}")

    args.out.mkdir(parents=True, exist_ok=True)
    common.write_csv(args.out / "predictions_video.csv",
                     [{"video_id": i, "label": rows[i]["label"], "method": rows[i]["method"],
                       "prob": round(float(e), 6), **{n: round(float(s[k]), 6) for n, s in scores.items()}}
                      for k, (i, e) in enumerate(zip(ids, ensemble))],
                     ["video_id", "label", "method", "prob", *scores])
    common.write_csv(args.out / "quality.csv", quality, list(quality[0]))
    # Each seed's ensemble too (the members' P(fake) of that seed averaged), where every member has
    # the same seeds: what benchmarks/motion_cues.py --fuse reads to fuse the verdict late, fold by fold,
    # and what one trained model of each member scores (the shipped verdict is one seed of each), as
    # rows 'seed_S' of ensemble.csv: the ensemble above averages every seed, which is more models.
    whole = all("@" not in name for name, _ in members)  # not with one seed of a report
    tables = [common.read_csv(f) for f in seed_tables] if whole and all(f.is_file() for f in seed_tables) else []
    per_seed = [{(r["seed"], r["video_id"]): r for r in t} for t in tables if t and {"seed", "prob"} <= set(t[0])]
    if per_seed and len(per_seed) == len(members) and all(set(s) == set(per_seed[0]) for s in per_seed):
        seed_rows = [{**{k: r[k] for k in ("seed", "video_id", "label", "method", "group")},
                      "prob": round(float(np.mean([float(s[key]["prob"]) for s in per_seed])), 6)}
                     for key, r in sorted(per_seed[0].items())]
        common.write_csv(args.out / "seeds_ensemble.csv", seed_rows, list(seed_rows[0]))
        for seed in sorted({r["seed"] for r in seed_rows}):
            mine = [r for r in seed_rows if r["seed"] == seed]
            y_s, p_s = np.array([int(r["label"]) for r in mine]), np.array([r["prob"] for r in mine])
            s_auc = common.rank_auc(y_s, p_s)
            s_low, s_high = common.bootstrap_ci(y_s, p_s, common.rank_auc, args.bootstrap, args.seed)
            results.append({"what": seed, "videos": len(mine), "fakes": int(y_s.sum()), "auc": round(s_auc, 4),
                            "low": round(s_low, 4), "high": round(s_high, 4)})
            print(f"  {seed}: one model of each member, video AUC {s_auc:.3f} [{s_low:.3f}, {s_high:.3f}]")
        print(f"wrote {args.out}/seeds_ensemble.csv (each seed's ensemble)")
    common.write_csv(args.out / "ensemble.csv", results, list(results[0]))
    print(f"wrote {args.out}/predictions_video.csv, ensemble.csv, quality.csv")


if __name__ == "__main__":
    main()
