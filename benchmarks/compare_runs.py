"""Is one model better than another on the same test videos? A paired bootstrap of their video AUCs.

Two intervals that overlap do not say that two models are alike, nor do two that barely miss each
other say that they differ: the models scored the same videos, so their errors are correlated.
This resamples the videos (the same draw for both models) and gives the difference of the two
video-level AUCs with its 95% interval and the share of draws in which the first model is not better.

Reads   two predictions_<model>.csv files of 05_evaluate.py (one per model; the same videos, e.g.
        two pooled leave-generator-out reports: runs/logo/report_NAME/predictions_NAME.csv), or
        their committed copies of one model each (paper/results/logo_NAME/predictions_video.csv)
Prints  each model's video AUC, the difference, its interval, and P(difference <= 0)

Run (from the repository root):
    python benchmarks/compare_runs.py paper/results/logo_lstm_g_sbi/predictions_video.csv \\
        paper/results/logo_base_g_sbi/predictions_video.csv
    python benchmarks/compare_runs.py paper/results/logo_shared_lstm_g_sbi/predictions_video.csv \\
        paper/results/shared_cues/predictions_video.csv --second-model all_cues_forest   # against the floor
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402


def one_model(path: Path, name: str | None, scratch: Path) -> Path:
    """path itself when it holds one model's scores, else its rows of model `name` written to scratch."""
    rows = common.read_csv(path)
    models = sorted({r["model"] for r in rows if r.get("model")})
    if len(models) <= 1 and name is None:
        return path
    if name not in models:
        sys.exit(f"error: {path} holds the scores of {len(models)} models ({', '.join(models)}): name one with "
                 "--first-model or --second-model")
    rows = [r for r in rows if r["model"] == name]
    common.write_csv(scratch, rows, list(rows[0]))
    return scratch


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("first", type=Path, help="predictions_<model>.csv of the first model")
    p.add_argument("second", type=Path, help="predictions_<model>.csv of the second model, on the same videos")
    p.add_argument("--first-model", default=None, metavar="NAME",
                   help="the model to take from the first file when it holds several (a 'model' column)")
    p.add_argument("--second-model", default=None, metavar="NAME",
                   help="the model to take from the second file when it holds several (e.g. all_cues_forest of "
                        "paper/results/shared_cues/predictions_video.csv)")
    p.add_argument("--resamples", type=int, default=2000, help="bootstrap draws (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    for path in (args.first, args.second):
        if not path.is_file():
            sys.exit(f"error: {path} not found: give a predictions_<model>.csv that 05_evaluate.py wrote, "
                     "or a committed report's predictions_video.csv (paper/results/logo_NAME/)")
    # A file of several models (a report's predictions_video.csv) is cut to the one asked for, in a
    # scratch copy: otherwise each video's row would be whichever model came last.
    with tempfile.TemporaryDirectory() as scratch:
        files = [one_model(path, name, Path(scratch) / f"{k}.csv") for k, (path, name) in
                 enumerate(((args.first, args.first_model), (args.second, args.second_model)))]
        try:
            y, pa, pb = common.paired_video_scores(*files)
        except ValueError as err:
            sys.exit(f"error: {err}: give two predictions files of the same test set")
    d = common.paired_auc_difference(y, pa, pb, args.resamples, args.seed)
    print(f"{len(y)} videos ({int(y.sum())} fake); video AUC {args.first}: {common.rank_auc(y, pa):.3f}, "
          f"{args.second}: {common.rank_auc(y, pb):.3f}")
    print(f"difference {d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] (95% paired bootstrap, {d['draws']} draws); "
          f"P(first not better) = {d['p_not_better']:.3f}")


if __name__ == "__main__":
    main()
