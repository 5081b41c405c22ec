"""Collect the measured results that the paper and the slides report, from the runs that the
README's documented commands produce, and write every table and number they quote.

Reads   the report folders written by 05_evaluate.py (REPORTS below), when they exist under runs/,
        and the config.json of the runs each report names (REPORTS' `runs`; the shipped weights/
        when the runs are not at hand)
Writes  paper/results/<name>/ (copies, so that a clean clone builds the paper without runs/):
          results.csv, by_method.csv, by_family.csv   05's files, as they are
          results.tex, by_method.tex, by_family.tex   05's LaTeX tables, as they are
          predictions_video.csv  every test video's P(fake), per model (the video rows of 05's predictions_*.csv)
          configs/<model>.json   the config.json of the run behind each model; configs/runs.csv says which run
        and, written here from those files:
          scores.tex             AUC, accuracy, F1, MSE (Brier) and EER per model, with their 95% intervals
                                 where results.csv has them (older reports: AUC and accuracy at 0.5 only)
          methods.tex, families.tex   AUC per generator (or pseudo-fake family) and per family of
                                 generators, with intervals (by_method.csv, by_family.csv)
          roc.png                the video-level ROC curves, drawn for print (plain title, legend at 8 pt);
                                 from predictions_video.csv, or else 05's roc_video.png without its title
          architecture_<model>.tex   layers, output shapes, parameters and FLOPs of the model as its config
                                 builds it (common.build_model), at the input size the run used (a retired
                                 model's table stays as committed: RETIRED_LANDMARK)
          training.tex           the training settings of every model of the report, from its config
          counts.csv             counts of videos that need files outside the repository (the shared
                                 test material's notes), kept so that a clone without them builds the same
        paper/numbers.tex: one LaTeX macro per number the text quotes (\\RealCthreeAuc, \\RealTestVideos,
        \\RealCthreeParams, ...), read from those files, so that the text never retypes a number.
tests/test_paper.py checks that the committed tables and numbers.tex are exactly what the committed
files give, that the architecture tables are the configs' models, and that paper.tex and slides.tex
quote no number of ours by hand.

Run (from the repository root):
    python paper/collect.py --dry-run     # what it would write, and which reports runs/ holds; writes nothing
    python paper/collect.py               # the tables and numbers.tex from the COMMITTED copies in paper/results/
    python paper/collect.py --take-runs demo   # first copy runs/report (your Quickstart's) over paper/results/demo
    make -C paper && make -C slides
Without --take-runs nothing of paper/results/ is replaced by a report of runs/: the committed
results are the paper's, and your own run of the Quickstart must not overwrite them by accident.
To report a new result: add its report folder to REPORTS (with the runs whose architecture and
settings the paper describes), run this with --take-runs NAME, and use the macros and tables it
writes (paper/README.md).
"""

import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Write the paper's and the slides' tables and numbers (paper/results/*/*.tex, paper/numbers.tex, "
                    "the generated tables of README.md and docs/) from the committed reports in paper/results/.",
        epilog="Nothing under paper/results/ is replaced by a report of runs/ unless --take-runs names it. "
               "Reports and the commands that make them: paper/README.md.")
    p.add_argument("--take-runs", nargs="*", metavar="NAME", default=None,
                   help="copy these reports from runs/ over their committed copies in paper/results/ first "
                        "(e.g. --take-runs demo: runs/report -> paper/results/demo); with no NAME, every report "
                        "that runs/ holds (default: none; the committed copies are used)")
    p.add_argument("--dry-run", action="store_true",
                   help="write nothing: do the whole collection in a scratch copy and list the files it would "
                        "add or change (default: off)")
    return p.parse_args(argv)


if __name__ == "__main__":
    # Parsed before the imports below (torch, through common.py): --help answers at once and writes nothing.
    ARGS = parse_args()

import json  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402  (the repository's common.py)
from common import read_csv  # noqa: E402

RESULTS = ROOT / "paper" / "results"


@dataclass
class Report:
    """One report of 05_evaluate.py that the paper or the slides quote.

    folder  the report folder 05 wrote, relative to the repository root (results.csv, ...)
    title   the report in plain words, for its ROC figure (never a path)
    runs    {model of results.csv: where that run's config.json is}, for the architecture and
            training tables: run folders in order of preference, the first that exists wins. A glob
            (runs/logo/fold_*/c3d) takes every fold of a pooled report (05 --pool), whose settings
            must agree (the tables show the first fold's). A (folder, {key: value}) pair stands for
            a run whose config.json is not at hand but whose documented command differs from that
            folder's run by those flags only; the copy says so ("derived_from").
    tested  the manifest of the videos the report tested, for counts that need its source's notes
            (the paintings, renders and generated faces among the fakes); None: no such counts
    """
    folder: str
    title: str
    runs: dict = field(default_factory=dict)
    tested: str | None = None


# The first recipe's runs (docs/real-footage.md, "The first recipe, for the record"). Their
# config.json files are committed in paper/results/real/configs; the shipped weights now come from
# the recipe on all shared videos (ALL_RUNS), so they are no fallback for these any more.
REAL_RUNS = {"c3d": ("runs/real/c3d",), "cnn_lstm": ("runs/real/cnn_lstm",),
             "frame_baseline": ("runs/real/frame_baseline",)}
# The recipe (docs/real-footage.md, "The recipe"): the shipped weights and their frame-level baseline,
# trained on all shared videos (benchmarks/shared_videos.csv).
ALL_RUNS = {"c3d": ("runs/ship/c3d", "weights/c3d"), "cnn_lstm": ("runs/ship/cnn_lstm", "weights/cnn_lstm"),
            "cnn_lstm_lips": ("runs/ship/cnn_lstm_lips", "weights/cnn_lstm_lips"),
            "frame_baseline": ("runs/ship/frame_baseline",)}
# name in paper/results -> the report (see README). A leave-generator-out report (05 --pool) is added as e.g.
#   "logo_c3d": Report("runs/logo/report_c3d", "Unseen generators (4 folds)", {"c3d": ("runs/logo/fold_*/c3d",)},
#                      tested="weights/all_videos.csv"),
REPORTS = {
    "demo": Report("runs/report", "Synthetic demo (drawn faces)"),
    "real": Report("runs/report_real", "Genuine fakes vs. held-out real people", REAL_RUNS, tested="weights/test_videos.csv"),
    "real_pseudo": Report("runs/report_real_pseudo", "Pseudo-fakes of held-out people"),
    "real_jpeg": Report("runs/report_real_jpeg30", "Genuine fakes, JPEG quality 30"),
    "ablation": Report("runs/report_ablation", "Ablation (C3D), genuine fakes"),
    "all_val": Report("runs/report_ship_val", "The shipped models' validation people (mostly generators seen in training)",
                      ALL_RUNS, tested="benchmarks/shared_videos.csv"),
}
# The leave-generator-out estimates (docs/real-footage.md, "Choosing by transfer"; the commands are
# there): each configuration trained once per fold of 02 --folds 4 and pooled by 05 --pool
# (benchmarks/leave_generator_out.py). key -> (report folder, the folds' runs, what it learns
# from beyond its config: the real videos of real_talking_faces/more/ or not).
TRANSFER = {
    "lstm_g_sbi": ("runs/logo/report_lstm_g_sbi", "runs/logo/fold_*/lstm_g_sbi", "all"),
    "c3d_g_sbi": ("runs/logo/report_c3d_g_sbi", "runs/logo/fold_*/c3d_g_sbi", "all"),
    "base_g_sbi": ("runs/logo/report_base_g_sbi", "runs/logo/fold_*/base_g_sbi", "all"),
    "c3d_r_sbi": ("runs/logo/report_c3d_r_sbi", "runs/logo/fold_*/c3d_r_sbi", "all"),
    "c3d_r_all": ("runs/logo/report_c3d_r_all", "runs/logo/fold_*/c3d_r_all", "all"),
    "c3d_r_sbi_crop": ("runs/logo/report_c3d_r_sbi_crop", "runs/logo/fold_*/c3d_r_sbi_crop", "all"),
    "c3d_r_sbi_ellipse": ("runs/logo/report_c3d_r_sbi_ellipse", "runs/logo/fold_*/c3d_r_sbi_ellipse", "all"),
    "c3d_r_sbi_nomore": ("runs/logo_nomore/report_c3d_r_sbi", "runs/logo_nomore/fold_*/c3d_r_sbi", "without more/"),
    "lstm_g_small8": ("runs/logo/report_lstm_g_small8", "runs/logo/fold_*/lstm_g_small8", "all"),
    "lstm_g_lite0": ("runs/logo/report_lstm_g_lite0", "runs/logo/fold_*/lstm_g_lite0", "all"),
    # the landmark model, retired since (RETIRED_LANDMARK below): its committed report stays, a measurement
    "lm": ("runs/logo/report_lm", "runs/logo/fold_*/lm", "all"),
}
# Pairs of estimates whose difference the text quotes: a paired bootstrap over the same pooled
# videos (common.paired_auc_difference; benchmarks/compare_runs.py prints the same for any two files).
PAIRED = [("lstm_g_sbi", "base_g_sbi"), ("c3d_g_sbi", "base_g_sbi"), ("lstm_g_sbi", "c3d_g_sbi"),
          # the ablations, (the change, the configuration it changes one setting of): change minus reference
          ("c3d_g_sbi", "c3d_r_sbi"), ("c3d_r_sbi_crop", "c3d_r_sbi"), ("c3d_r_sbi_ellipse", "c3d_r_sbi"),
          ("c3d_r_sbi_nomore", "c3d_r_sbi"), ("lstm_g_lite0", "lstm_g_sbi")]
# Their names in LaTeX macros (letters only): \LogoLstmGLstmGAuc is the CNN-LSTM's pooled AUC.
TRANSFER_NAMES = {"lstm_g_sbi": "LstmG", "c3d_g_sbi": "CthreeG", "base_g_sbi": "BaseG", "c3d_r_sbi": "CthreeR",
                  "c3d_r_all": "CthreeRAll", "c3d_r_sbi_crop": "CthreeRCrop", "c3d_r_sbi_ellipse": "CthreeREllipse",
                  "c3d_r_sbi_nomore": "CthreeRNoMore",
                  "lstm_g_small8": "LstmSmall", "lstm_g_lite0": "LstmLite", "lm": "Landmark"}
# The estimates over all shared material (docs/real-footage.md, "Choosing by transfer"): the 301
# videos of benchmarks/shared_videos.csv, four folds cut with each of three seeds and trained with
# that seed, the seeds' scores averaged per video (05 --pool over runs/shared/seed_S/fold_K/NAME).
# "shared_th_*": the talking-head protocol (02 --families 'talking head'): talking heads only.
SHARED_TRANSFER = {f"{folder}_{name}": (f"runs/{folder}/report_{name}", f"runs/{folder}/seed_*/fold_*/{name}", "all")
                   for folder in ("shared", "shared_th") for name in ("lstm_g_sbi", "c3d_g_sbi", "base_g_sbi")}
# Issue 27's tries, over the same folds and seeds: the CNN-LSTM trained so that it cannot read footage
# quality (--degrade 0.8 --match-sharpness), on the whole face and on the mouth band (--region mouth),
# and the mouth band with compression drawn alike for both classes too (--compress 0.8); the C3D so
# trained, one seed; the CNN-LSTM so trained on the mouth at the crop's own resolution (--region lips),
# also on 32-frame windows (--clip-len 32) and on the frames beside their differences (--input both),
# and on the eyes (--region eyes); the lips' CNN-LSTM learning from genuine fakes alone, without
# self-blended pseudo-fakes (lstm_g_qlj), from real videos and their pseudo-fakes alone (--real-only,
# lstm_r_sbi_qlj), keeping its last epoch rather than its best validation epoch (--keep last, qljl), and
# training twice as long (--epochs 10, qlj10), at 96 px, from faces extracted at 192 (qlj96), with half its
# pseudo-fakes blended through a mask of the lower face only (--pseudo-fakes selfblend,mouthblend, sbmb_qlj),
# with twice the channels in its CNN (--width 32, qljw32), and with degradations and JPEG drawn for 40% of
# the training clips instead of 80% (--degrade 0.4 --compress 0.4, qljd4).
SHARED_TRANSFER.update({f"shared_{name}": (f"runs/shared/report_{name}", f"runs/shared/seed_*/fold_*/{name}", "all")
                        for name in ("lstm_g_sbi_q", "lstm_g_sbi_qm", "lstm_g_sbi_qmj", "c3d_g_sbi_qmj",
                                     "lstm_g_sbi_qlj", "lstm_g_sbi_qlj32", "lstm_g_sbi_qljb", "lstm_g_sbi_qej",
                                     "lstm_g_qlj", "lstm_r_sbi_qlj", "lstm_g_sbi_qljl", "lstm_g_sbi_qlj10",
                                     "lstm_g_sbi_qlj96", "lstm_g_sbmb_qlj", "lstm_g_sbi_qljw32",
                                     "lstm_g_sbi_qljd4")})
PAIRED += [("shared_lstm_g_sbi_q", "shared_lstm_g_sbi"), ("shared_lstm_g_sbi_qm", "shared_lstm_g_sbi_q"),
           ("shared_lstm_g_sbi_q", "shared_base_g_sbi"), ("shared_lstm_g_sbi_qm", "shared_base_g_sbi"),
           ("shared_lstm_g_sbi_qm", "shared_lstm_g_sbi"), ("shared_lstm_g_sbi_qm", "shared_c3d_g_sbi"),
           ("shared_lstm_g_sbi_qmj", "shared_lstm_g_sbi_qm"), ("shared_lstm_g_sbi_qmj", "shared_base_g_sbi"),
           ("shared_lstm_g_sbi_qlj", "shared_lstm_g_sbi_qmj"), ("shared_lstm_g_sbi_qlj", "shared_base_g_sbi"),
           ("shared_lstm_g_sbi_qlj32", "shared_lstm_g_sbi_qlj"), ("shared_lstm_g_sbi_qej", "shared_lstm_g_sbi_qmj"),
           ("shared_lstm_g_sbi_qljb", "shared_lstm_g_sbi_qlj"), ("shared_lstm_g_qlj", "shared_lstm_g_sbi_qlj"),
           ("shared_lstm_r_sbi_qlj", "shared_lstm_g_sbi_qlj"), ("shared_lstm_r_sbi_qlj", "shared_lstm_g_qlj"),
           ("shared_lstm_g_sbi_qljl", "shared_lstm_g_sbi_qlj"), ("shared_lstm_g_sbi_qlj10", "shared_lstm_g_sbi_qlj"),
           ("shared_lstm_g_sbi_qlj96", "shared_lstm_g_sbi_qlj"), ("shared_lstm_g_sbmb_qlj", "shared_lstm_g_sbi_qlj"),
           ("shared_lstm_g_sbi_qljw32", "shared_lstm_g_sbi_qlj"), ("shared_lstm_g_sbi_qljd4", "shared_lstm_g_sbi_qlj")]
PAIRED += [("shared_lstm_g_sbi", "shared_base_g_sbi"), ("shared_c3d_g_sbi", "shared_base_g_sbi"),
           ("shared_lstm_g_sbi", "shared_c3d_g_sbi")]
TRANSFER.update(SHARED_TRANSFER)
TRANSFER_NAMES.update({"shared_lstm_g_sbi": "SharedLstm", "shared_c3d_g_sbi": "SharedCthree",
                       "shared_base_g_sbi": "SharedBase", "shared_th_lstm_g_sbi": "ThLstm",
                       "shared_th_c3d_g_sbi": "ThCthree", "shared_th_base_g_sbi": "ThBase",
                       "shared_lstm_g_sbi_q": "SharedLstmQ", "shared_lstm_g_sbi_qm": "SharedLstmQm",
                       "shared_lstm_g_sbi_qmj": "SharedLstmQmj", "shared_c3d_g_sbi_qmj": "SharedCthreeQmj",
                       "shared_lstm_g_sbi_qlj": "SharedLstmQlj", "shared_lstm_g_sbi_qlj32": "SharedLstmQljLong",
                       "shared_lstm_g_sbi_qljb": "SharedLstmQljBoth", "shared_lstm_g_sbi_qej": "SharedLstmQej",
                       "shared_lstm_g_qlj": "SharedLstmGenQlj", "shared_lstm_r_sbi_qlj": "SharedLstmRealQlj",
                       "shared_lstm_g_sbi_qljl": "SharedLstmQljLast", "shared_lstm_g_sbi_qlj10": "SharedLstmQljTen",
                       "shared_lstm_g_sbi_qlj96": "SharedLstmQljBig", "shared_lstm_g_sbmb_qlj": "SharedLstmQljMouthblend",
                       "shared_lstm_g_sbi_qljw32": "SharedLstmQljWide", "shared_lstm_g_sbi_qljd4": "SharedLstmQljLight"})
# Video-level classifiers under the same folds: the footage-cue floor (benchmarks/footage_cues.py) and
# the motion statistics of the mesh, alone and fused late with the CNN-LSTM, and with the shipped
# verdict (benchmarks/motion_cues.py --fuse). Report folder -> paper/results name.
CUE_REPORTS = {"runs/shared/report_cues": "shared_cues", "runs/shared_th/report_cues": "shared_th_cues",
               "runs/shared/report_motion": "shared_motion", "runs/shared/report_motion_verdict": "shared_motion_verdict"}
# Of a motion report, the rows the table takes: the motion classifiers alone once, then each fusion.
MOTION_ROWS = {"shared_motion": lambda model: "motion" in model,
               "shared_motion_verdict": lambda model: model.startswith("verdict + ")}
# What each estimate tested: its key's prefix -> the words the tables use.
TESTED = {"shared_th_": "all shared, talking heads", "shared_": "all shared", "": "first dev set"}


def tested_set(key: str) -> str:
    return next(words for prefix, words in TESTED.items() if key.startswith(prefix))


for _key, (_folder, _runs, _data) in TRANSFER.items():
    REPORTS[f"logo_{_key}"] = Report(
        _folder, "Generators left out (4 folds, pooled)" if _key not in SHARED_TRANSFER else
        "All shared: 4 folds x 3 seeds", {_key: (_runs,)},
        tested="weights/all_videos.csv" if _key not in SHARED_TRANSFER else "benchmarks/shared_videos.csv")
# 05's files copied as they are. Only one figure is kept in git (roc.png, drawn here): every PNG is a binary.
FILES = ("results.csv", "by_method.csv", "by_family.csv", "by_seed.csv", "quality.csv", "results.tex", "by_method.tex",
         "by_family.tex", "folds.json")
# Macro name prefixes for the runs the text quotes (run folder name -> LaTeX-safe name).
MODELS = {"c3d": "Cthree", "cnn_lstm": "Lstm", "cnn_lstm_lips": "LstmLips", "frame_baseline": "Base", **TRANSFER_NAMES,
          "shared_ensemble_lstm_c3d": "SharedEnsembleLstmCthree", "ensemble_c3d": "EnsembleCthree",
          **{f"logo_{k}": f"Logo{v}" for k, v in TRANSFER_NAMES.items()}}
# The scores of scores.tex, in order: (results.csv column, header). Accuracy and F1 at the threshold
# chosen on validation (the paper's rule: a threshold is never chosen on the test split).
SCORE_TABLE = [("auc", "AUC"), ("accuracy_val", r"acc.$_\mathrm{val}$"), ("f1_val", r"F1$_\mathrm{val}$"), ("mse", "MSE"),
               ("eer", "EER")]
# The scores of SCORE_TABLE that depend on a threshold: not meaningful for a model of constant scores.
AT_THRESHOLD = ("accuracy_val", "f1_val")
# Every video-level score that gets a macro: results.csv column -> macro suffix (Low/High: its interval).
SCORE_MACROS = {"auc": "Auc", "accuracy": "Acc", "accuracy_val": "AccVal", "balanced_accuracy": "BalAccHalf",
                "balanced_accuracy_val": "BalAcc", "f1": "Fscore", "f1_val": "FscoreVal", "mse": "Mse", "eer": "Eer",
                "ap": "Ap", "threshold_val": "Thr"}
# Counting generators: method labels that are one generator's variants, and labels that name no
# generator (the source did not document which made the video).
VARIANT_OF = {"wav2lip+gfpgan": "wav2lip", "wav2lip-hq": "wav2lip"}
NO_GENERATOR = {"unknown_generated"}
# The scores 05_evaluate.py gives a bootstrap interval (its INTERVALS; older reports: auc and accuracy only).
INTERVALS = ("auc", "accuracy", "balanced_accuracy", "f1", "mse", "eer", "accuracy_val", "balanced_accuracy_val", "f1_val")
NON_PHOTO = "NON-PHOTO SOURCE"  # how the shared test material's notes mark a fake animated from no photograph


def macro_name(*parts: str) -> str:
    """'real', 'c3d', 'auc' -> 'RealCthreeAuc' (LaTeX macro names hold letters only)."""
    out = ""
    for part in parts:
        part = MODELS.get(part, part)  # a run's folder name: cnn_lstm -> Lstm
        for word in part.replace("-", "_").split("_"):
            out += "".join(ch for ch in word[:1].upper() + word[1:] if ch.isalpha())
    return out


def number(value) -> float:
    return float(value) if value not in ("", None) else float("nan")


def two(value) -> str:
    """A score as the tables and the text print it: two decimals, '--' where there is none."""
    v = number(value)
    return "--" if v != v else f"{v:.2f}"


def tex_name(text) -> str:
    return str(text).replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


# --------------------------------------------------------------------------------------------
# Scores: results.csv -> scores.tex
# --------------------------------------------------------------------------------------------

def with_interval(row: dict, score: str, low: str = "", high: str = "") -> str:
    """The score over its 95% interval, stacked in one cell so that a table of many fits a column
    ('0.47' above '[0.35, 0.61]'), or the score alone where the file has no interval for it (older
    reports). low, high: the interval's columns (default <score>_ci_low, <score>_ci_high). \\ci sets
    the interval: a size smaller than the table (CI_MACRO; a document may define its own first)."""
    low, high = row.get(low or f"{score}_ci_low", ""), row.get(high or f"{score}_ci_high", "")
    if number(low) != number(low) or number(high) != number(high):
        return two(row[score])
    return f"\\begin{{tabular}}[t]{{@{{}}c@{{}}}}{two(row[score])}\\\\[-1pt]\\ci{{[{two(low)}, {two(high)}]}}\\end{{tabular}}"


# How a table's intervals are set, unless the document that \input's it says otherwise.
CI_MACRO = r"\providecommand{\ci}[1]{{\scriptsize #1}}"


def scores_table(results: list[dict], constant: set[str] = frozenset()) -> str:
    """The video-level scores of SCORE_TABLE, one row per model, as a booktabs tabular. constant:
    the models whose scores are constant (constant_models): their accuracy and F1 carry a dagger,
    and a note under the table says why they are not meaningful."""
    video = [r for r in results if r["level"] == "video"]
    lines = [CI_MACRO, r"\begin{tabular}{@{}l" + "c" * (1 + len(SCORE_TABLE)) + "@{}}", r"\toprule",
             "model & real/fake & " + " & ".join(h for _, h in SCORE_TABLE) + r" \\", r"\midrule"]
    for r in video:
        cells = [with_interval(r, s) + (r"$^\dagger$" if r["model"] in constant and s in AT_THRESHOLD else "")
                 for s, _ in SCORE_TABLE]
        lines.append(f"{tex_name(r['model'])} & {r['n_real']}/{r['n_fake']} & " + " & ".join(cells) + r" \\")
    # Under the table, what its subscript means (every accuracy says its threshold) and, for a model
    # of constant scores, why its marked cells mean nothing: short, so that the note never widens it.
    note = r"$_\mathrm{val}$: at the validation threshold"
    if constant & {r["model"] for r in video}:
        note += r"; $^\dagger$ constant scores: not meaningful"
    lines += [r"\bottomrule", f"\\multicolumn{{{2 + len(SCORE_TABLE)}}}{{@{{}}l}}{{\\ci{{{note}}}}} \\\\"]
    lines += [r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def constant_models(report_dir: Path) -> set[str]:
    """The models of a report whose video scores are constant (common.constant_scores), from its
    predictions_video.csv (none where the report has no predictions)."""
    if not (report_dir / "predictions_video.csv").is_file():
        return set()
    rows = read_csv(report_dir / "predictions_video.csv")
    return {m for m in dict.fromkeys(r["model"] for r in rows)
            if common.constant_scores([float(r["prob"]) for r in rows if r["model"] == m])}


# The README's and docs/demo.md's table of the demo (between <!-- collect:demo --> markers): the
# same files and the same rounding as the paper's Table, each accuracy with its threshold.
DEMO_NAMES = {"c3d": "C3D", "cnn_lstm": "CNN-LSTM on frame differences", "frame_baseline": "frame-level baseline"}


def demo_markdown(report_dir: Path) -> str:
    """The demo's video-level scores as a Markdown table, with a note for a model of constant scores."""
    results = read_csv(report_dir / "results.csv")
    clip_auc = {r["model"]: r["auc"] for r in results if r["level"] == "clip"}
    constant = constant_models(report_dir)
    lines = ["| model | video ROC-AUC [95% CI] | accuracy at 0.5 | accuracy at the val. threshold | F1 at the val. "
             "threshold | MSE | video EER | clip ROC-AUC |", "|---|---|---|---|---|---|---|---|"]
    for r in (r for r in results if r["level"] == "video"):
        mark = " (n/m)" if r["model"] in constant else ""
        lines.append(f"| {DEMO_NAMES.get(r['model'], r['model'])} (`runs/{r['model']}`) | "
                     f"{two(r['auc'])} [{two(r['auc_ci_low'])}, {two(r['auc_ci_high'])}] | "
                     f"{two(r['accuracy'])}{mark} | {two(r['accuracy_val'])} (threshold {number(r['threshold_val']):.3f}){mark} | "
                     f"{two(r['f1_val'])}{mark} | {two(r['mse'])} | {two(r['eer'])} | {two(clip_auc.get(r['model']))} |")
    for m in constant:
        p = [float(r["prob"]) for r in read_csv(report_dir / "predictions_video.csv") if r["model"] == m]
        lines += ["", f"n/m: not meaningful. The {DEMO_NAMES.get(m, m)} gives every test video nearly the same score "
                      f"({min(p):.4f} to {max(p):.4f}): it ranks nothing, and its accuracy and F1 only say on which side "
                      "of a threshold that one score falls. MSE is the Brier score: a constant 0.5 scores 0.25."]
    return "\n".join(lines) + "\n"


# The shipped verdict's members as its report names them (benchmarks/ensemble.py's columns) -> the words.
VERDICT_MEMBERS = {"lstm_g_sbi_qmj": "mouth band", "lstm_g_sbi_qlj": "lips"}


def generators_markdown(report_dir: Path) -> str:
    """The shipped verdict's estimate per generator (the model card's): each generator's left-out
    fakes against every real video, by the verdict and by each of its members, with how many fakes."""
    rows = read_csv(report_dir / "predictions_video.csv")
    members = [c for c in rows[0] if c not in ("video_id", "label", "method", "prob")]
    reals = [r for r in rows if r["label"] == "0"]
    lines = ["| family | generator | fakes | verdict: AUC | " + " | ".join(VERDICT_MEMBERS.get(m, m) for m in members)
             + " | mean P(fake) of its fakes |", "|---|---|---|---|" + "---|" * len(members) + "---|"]
    table = []
    for method in sorted({r["method"] for r in rows if r["label"] == "1"}):
        fakes = [r for r in rows if r["method"] == method and r["label"] == "1"]
        y = np.array([0] * len(reals) + [1] * len(fakes))
        auc = {c: common.rank_auc(y, np.array([float(r[c]) for r in reals + fakes])) for c in ("prob", *members)}
        table.append((common.family_of(method), -auc["prob"], method, len(fakes), auc,
                      np.mean([float(r["prob"]) for r in fakes])))
    for family, _, method, n, auc, mean in sorted(table):
        lines.append(f"| {family} | {method} | {n} | {two(auc['prob'])} | " + " | ".join(two(auc[c]) for c in members)
                     + f" | {mean:.2f} |")
    lines.append(f"| real | (all) | {len(reals)} real | | " + " | " * len(members)
                 + f"{np.mean([float(r['prob']) for r in reals]):.2f} |")
    return "\n".join(lines) + "\n"


def subset_table(rows: list[dict], key: str, header: str) -> str:
    """AUC per method (by_method.csv) or per family (by_family.csv) at the video level: one row per
    method, one column per model, each AUC over its interval (05's by_method.tex, stacked to fit)."""
    video = [r for r in rows if r["level"] == "video"]
    models = list(dict.fromkeys(r["model"] for r in video))
    keys = list(dict.fromkeys(r[key] for r in video))
    auc = {(r["model"], r[key]): r for r in video}
    lines = [CI_MACRO, r"\begin{tabular}{@{}lc" + "c" * len(models) + "@{}}", r"\toprule",
             f"{header} & fakes & " + " & ".join(tex_name(m) for m in models) + r" \\", r"\midrule"]
    for k in keys:
        first = next(auc[m, k] for m in models if (m, k) in auc)
        lines.append(f"{tex_name(k)} & {first['n_fake']} & "
                     + " & ".join(with_interval(auc[m, k], "auc") if (m, k) in auc else "--" for m in models) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Models: config.json -> architecture_<model>.tex, training.tex
# --------------------------------------------------------------------------------------------

INPUT_WORDS = {"rgb": "RGB frames", "diff": "frame differences", "both": "frames and differences",
               "landmarks": "face-mesh features"}
SHORT_INPUT_WORDS = {"rgb": "frames", "diff": "differences", "both": "frames and differences", "landmarks": "mesh"}

# The landmark model (03 --input landmarks: the face mesh's geometry instead of pixels) was retired
# after commit 1f6c651, when its one estimate, paper/results/logo_lm, scored at chance (video AUC
# 0.51 [0.40, 0.61]; docs/real-footage.md, "What was tried and retired"). common.py no longer builds
# it, so what the paper quotes of it is kept here as that commit computed it (git show
# 1f6c651:common.py): its features per frame (LANDMARK_DIM), the mesh points among them, and the
# parameters and FLOPs of the committed configuration (the settings that shape it). Its architecture
# table, logo_lm/architecture_lm.tex, stays as that commit wrote it.
LANDMARK_DIM, LANDMARK_POINTS = 219, 65
RETIRED_LANDMARK = {"shape": {"temporal": "lstm", "hidden": 64, "bidirectional": False, "clip_len": 32},
                    "params": 52_023, "flops": 1_159_296}


def retired(config: dict) -> bool:
    """A model that common.py no longer builds (the landmark model)."""
    return config.get("input") == "landmarks"


def model_size(config: dict) -> tuple[int, int]:
    """(parameters, FLOPs per clip) of the model a config builds; the retired landmark model's as recorded."""
    if retired(config):
        if any(config.get(k) != v for k, v in RETIRED_LANDMARK["shape"].items()):
            raise SystemExit("error: a landmark model other than the committed one: its size was not recorded; "
                             "collect it with commit 1f6c651, the last that builds it")
        return RETIRED_LANDMARK["params"], RETIRED_LANDMARK["flops"]
    built = common.build_model(config)
    return common.count_parameters(built), common.count_flops(built, input_shape(config))


def input_shape(config: dict) -> tuple[int, ...]:
    """One clip as the run's model saw it: (frames, 3, S, S) pixels, or (frames, LANDMARK_DIM) features."""
    if config.get("input") == "landmarks":
        return (config["clip_len"], LANDMARK_DIM)
    side = config.get("input_size") or config["face_settings"]["size"]
    return (config["clip_len"], 3, side, side)


def model_title(config: dict) -> str:
    """The model in words: 'C3D', 'CNN-LSTM', 'frame-level baseline', 'landmark LSTM' (+ the encoder)."""
    if config["model"] == "c3d":
        title = "C3D"
    elif config.get("temporal") == "mean":
        title = "landmark baseline" if config.get("input") == "landmarks" else "frame-level baseline"
    elif config.get("input") == "landmarks":
        title = f"landmark {config['temporal'].upper()}"
    else:
        title = f"CNN-{config['temporal'].upper()}"
    return title + (" (EfficientNet-Lite0)" if config.get("encoder", "small") == "lite0" else "")


def times(values) -> str:
    values = values if isinstance(values, (tuple, list)) else (values, values)
    return r"{\times}".join(str(v) for v in values)


def _is_block(m) -> bool:
    """A unit the table shows as one row: conv-BN-ReLU-pool (common.conv_block), or an MBConv."""
    nn = common.nn
    return isinstance(m, common.MBConv) or (
        isinstance(m, nn.Sequential) and len(m) > 0 and isinstance(m[0], (nn.Conv2d, nn.Conv3d))
        and any(isinstance(x, (nn.MaxPool2d, nn.MaxPool3d)) for x in m))


def _units(module, prefix: str = ""):
    """(name, module) of every row-sized part, in definition order: blocks, and leaves elsewhere."""
    for name, child in module.named_children():
        fqn = f"{prefix}{name}"
        if _is_block(child) or next(child.children(), None) is None:
            yield fqn, child
        else:
            yield from _units(child, fqn + ".")


def _label(m) -> str:
    nn = common.nn
    if isinstance(m, common.MBConv):
        k, s = m._depthwise_conv.kernel_size, m._depthwise_conv.stride[0]
        return f"MBConv ${times(k)}$" + (f", stride {s}" if s > 1 else "")
    if _is_block(m):
        conv, pool = m[0], next(x for x in m if isinstance(x, (nn.MaxPool2d, nn.MaxPool3d)))
        return f"conv ${times(conv.kernel_size)}$, pool ${times(pool.kernel_size)}$"
    if isinstance(m, (nn.Conv2d, nn.Conv3d)):
        return f"conv ${times(m.kernel_size)}$" + (f", stride {m.stride[0]}" if m.stride[0] > 1 else "")
    if isinstance(m, nn.Linear):
        return f"linear {m.in_features}$\\to${m.out_features}"
    if isinstance(m, (nn.LSTM, nn.GRU)):
        return f"{type(m).__name__}, {m.hidden_size} units" + (", both directions" if m.bidirectional else "")
    if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)):
        size = m.output_size
        return "global average pool" if size in (1, (1, 1), (1, 1, 1)) else f"average pool to ${times(size)}$"
    if isinstance(m, nn.BatchNorm1d):
        return f"batch norm ({m.num_features} features)"
    return type(m).__name__


SKIPPED = ("ReLU", "ReLU6", "Dropout", "Flatten", "Identity")  # no parameters, no change of shape worth a row


def layer_rows(model, shape: tuple[int, ...]) -> list[dict]:
    """The model's layers as the table shows them, found by running a dummy clip through it:
    [{label, shape (per clip, frames first), params, flops}], in the order they run. A batch
    norm after a convolution joins its row; consecutive MBConv blocks of one width join into a
    stage; FLOPs are PyTorch's FlopCounterMode's (as common.count_flops), None where it counts
    nothing although the layer computes (the LSTM's fused kernel)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    nn = common.nn
    units = [(name, m) for name, m in _units(model) if type(m).__name__ not in SKIPPED]
    batch, frames = 2, shape[0]
    seen, order = {}, []

    def hook(name):
        def record(_module, _inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            if name not in seen:
                seen[name] = tuple(out.shape)
                order.append(name)
        return record

    handles = [m.register_forward_hook(hook(name)) for name, m in units]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(batch, *shape))
            with FlopCounterMode(display=False) as counter:
                model(torch.zeros(1, *shape))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    flops = {k.split(".", 1)[1]: sum(v.values()) for k, v in counter.get_flop_counts().items() if "." in k}

    def per_clip(s):  # drop the batch: [B*T, ...] per frame -> (T, ...); [B, C, T, H, W] -> (T, C, H, W)
        if s[0] == batch * frames:
            return (frames, *s[1:])
        s = s[1:]
        return (s[1], s[0], *s[2:]) if len(s) == 4 else (s or (1,))

    modules = dict(units)
    rows = []
    for name in order:
        m = modules[name]
        row = {"label": _label(m), "shape": per_clip(seen[name]), "params": sum(p.numel() for p in m.parameters()),
               "flops": flops.get(name, 0), "kind": type(m).__name__, "width": seen[name][1] if len(seen[name]) > 1 else 1}
        if isinstance(m, (nn.LSTM, nn.GRU)) and not row["flops"]:
            row["flops"] = None
        last = rows[-1] if rows else None
        if last and isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)) and last["shape"] == row["shape"]:
            last["params"] += row["params"]  # the norm of the convolution before it
            continue
        if last and row["kind"] == last["kind"] == "MBConv" and row["width"] == last["width"]:
            last.update(shape=row["shape"], params=last["params"] + row["params"], flops=last["flops"] + row["flops"],
                        repeats=last.get("repeats", 1) + 1)
            continue
        rows.append(row)
    for row in rows:
        if row.get("repeats", 1) > 1:  # a stage: the first block's stride, then blocks of stride 1
            row["label"] += f", {row['repeats']} blocks"
    return rows


def mflops_text(flops: int) -> str:
    """FLOPs per clip for the text: 906 (MFLOPs), or 1.2 below ten."""
    return f"{flops / 1e6:.0f}" if flops >= 1e7 else f"{flops / 1e6:.1f}"


def mflops(flops) -> str:
    if flops is None:
        return "n.c."
    if flops == 0:
        return "0"
    return "$<$0.1" if flops < 5e4 else f"{flops / 1e6:.1f}"


def architecture_table(config: dict, name: str) -> str:
    """One model's layers, output shapes, parameters and FLOPs per clip, as its config builds it."""
    model = common.build_model(config)
    shape = input_shape(config)
    rows = layer_rows(model, shape)
    params, flops = common.count_parameters(model), common.count_flops(model, shape)
    if sum(r["params"] for r in rows) != params:
        raise RuntimeError(f"{name}: the rows hold {sum(r['params'] for r in rows)} parameters, the model {params}")
    lines = [r"\begin{tabular}{@{}lrrr@{}}", r"\toprule",
             f"\\multicolumn{{4}}{{@{{}}l}}{{\\textbf{{{model_title(config)}}} (\\texttt{{{tex_name(name)}}})}} \\\\",
             r"\midrule", r"layer & output & params & MFLOPs \\", r"\midrule",
             f"input: {INPUT_WORDS.get(config.get('input', 'rgb'), config.get('input'))} & ${times(shape)}$ & & \\\\"]
    for r in rows:
        lines.append(f"{r['label']} & ${times(r['shape'])}$ & {thousands(r['params'])} & {mflops(r['flops'])} \\\\")
    lines += [r"\midrule", f"total & & {thousands(params)} & {mflops(flops)} \\\\", r"\bottomrule"]
    if any(r["flops"] is None for r in rows):
        lines.append(r"\multicolumn{4}{@{}l}{n.c.: not counted (inside the fused "
                     + next(r["kind"] for r in rows if r["flops"] is None) + r" kernel)} \\")
    lines.append(r"\end{tabular}")
    return "\n".join(lines) + "\n"


def number_text(v) -> str:
    """A setting as the training table prints it: 0.006, 0.0001, 1e-05 -> $10^{-5}$."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v and abs(v) < 1e-4:
        mantissa, exponent = f"{v:.0e}".split("e")
        factor = "" if mantissa == "1" else mantissa + r"{\times}"
        return f"${factor}10^{{{int(exponent)}}}$"
    return f"{v:g}" if isinstance(v, float) else str(v)


def training_settings(config: dict) -> list[tuple[str, str]]:
    """(setting, value) rows of the training table, each read from the run's config.json."""
    fs, shape = config.get("face_settings", {}), input_shape(config)
    pretrained = config.get("encoder", "small") == "lite0"
    return [
        ("clip", f"{shape[0]} frames" + (f", ${shape[2]}{{\\times}}{shape[3]}$\\,px" if len(shape) == 4
                                          else f" of {shape[1]} features")),
        ("face crop (01)", f"{fs.get('size', '--')}\\,px, {number_text(fs.get('fps')) if fs.get('fps') else 'native'}\\,fps"),
        ("what it sees", SHORT_INPUT_WORDS.get(config.get("input", "rgb"), str(config.get("input")))
         + ("" if config.get("region", "face") == "face" else f", {config['region']} only")),
        ("frame encoder", "EfficientNet-Lite0, ImageNet" if pretrained else "from scratch"),
        ("pseudo-fakes", ", ".join(config.get("pseudo_fakes") or []) or "none"),
        ("clips per video", str(config.get("clips_per_video") or "all")),
        ("epochs", str(config["epochs"])),
        ("batch", str(config["batch_size"])),
        ("optimiser", "AdamW"),
        ("peak learning rate", number_text(config["lr"])),
        ("encoder learning rate", number_text(config["lr"] * config.get("encoder_lr", 1.0)) if pretrained else "--"),
        ("weight decay", number_text(config["weight_decay"])),
        ("schedule", config["schedule"]),
        ("gradient clipping", number_text(config["clip_grad"]) if config["clip_grad"] else "off"),
        ("early stopping", f"{config['patience']} epochs" if config.get("patience") else "off"),
        ("augmentation", "off" if config.get("no_augment") else "on"),
        ("seed", str(config["seed"])),
    ]


def training_table(configs: dict[str, dict]) -> str:
    """The training settings of every model of a report: one row per setting, one column per model."""
    names = list(configs)
    settings = {n: training_settings(c) for n, c in configs.items()}
    lines = [r"\begin{tabular}{@{}l" + "c" * len(names) + "@{}}", r"\toprule",
             "setting & " + " & ".join(f"{model_title(configs[n])}" for n in names) + r" \\", r"\midrule"]
    for i, (setting, _) in enumerate(settings[names[0]]):
        values = [settings[n][i][1] for n in names]
        if len(set(values)) == 1 and len(names) > 1:  # the same for every model: said once
            lines.append(f"{setting} & \\multicolumn{{{len(names)}}}{{c}}{{{values[0]}}} \\\\")
        else:
            lines.append(f"{setting} & " + " & ".join(values) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def read_configs(report_dir: Path) -> dict[str, dict]:
    """{model: config} from paper/results/<name>/configs/, in the order configs/runs.csv lists them."""
    runs = report_dir / "configs" / "runs.csv"
    if not runs.is_file():
        return {}
    return {r["model"]: common.read_json(report_dir / "configs" / f"{r['model']}.json") for r in read_csv(runs)}


# The settings that must agree between the folds of one pooled model (the tables show one of them).
# The seed is not among them: an estimate over several seeds pools runs that differ in it alone.
AGREE = ("model", "temporal", "input", "hidden", "width", "bidirectional", "encoder", "clip_len", "input_size",
         "epochs", "batch_size", "lr", "encoder_lr", "weight_decay", "schedule", "clip_grad", "patience", "region",
         "pseudo_fakes", "no_augment", "clips_per_video", "face_settings")


def find_config(candidates) -> tuple[list[Path], dict, str] | None:
    """(run folders, their config, how it was derived) for the first candidate that exists."""
    for candidate in candidates:
        folder, changes = candidate if isinstance(candidate, tuple) else (candidate, {})
        runs = sorted(p.parent for p in ROOT.glob(f"{folder}/config.json"))
        if not runs:
            continue
        configs = [common.read_json(r / "config.json") for r in runs]
        for run, c in zip(runs[1:], configs[1:]):
            differ = [k for k in AGREE if c.get(k) != configs[0].get(k)]
            if differ:
                raise SystemExit(f"error: {run} and {runs[0]} differ in {differ}: one table cannot describe both")
        derived = ""
        if changes:
            derived = (f"{runs[0].relative_to(ROOT)}/config.json with {json.dumps(changes)}: the run's documented "
                       "command differs from that run's by these flags only; its own config.json was not at hand")
        return runs, {**configs[0], **changes, **({"derived_from": derived} if derived else {})}, derived
    return None


def copy_configs(report: Report, out: Path) -> int:
    """configs/<model>.json and configs/runs.csv for the report's runs that exist; the committed ones stay otherwise."""
    found = {}
    for model, candidates in report.runs.items():
        hit = find_config(candidates)
        if hit is None:
            print(f"  no config.json for {model} in {', '.join(str(c[0] if isinstance(c, tuple) else c) for c in candidates)}")
            continue
        found[model] = hit
    if not found:
        return 0
    (out / "configs").mkdir(parents=True, exist_ok=True)
    rows = []
    for model, (runs, config, derived) in found.items():
        (out / "configs" / f"{model}.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        rows.append({"model": model, "runs": len(runs), "run": "; ".join(str(r.relative_to(ROOT)) for r in runs),
                     "derived": derived})
    common.write_csv(out / "configs" / "runs.csv", rows, ["model", "runs", "run", "derived"])
    return len(found)


# --------------------------------------------------------------------------------------------
# Counts: videos, methods, generators, training data
# --------------------------------------------------------------------------------------------

def generators(methods) -> set[str]:
    """The distinct generators behind a list of method labels (variants joined, unnamed ones left out)."""
    return {VARIANT_OF.get(m, m) for m in methods if m not in NO_GENERATOR and m != "real"}


def tested_counts(report: Report) -> list[dict]:
    """Counts of the report's test videos that need the test material's own notes (outside the
    repository): the fakes animated from a painting, a render or a generated face. [] when the
    manifest or its source is not at hand (the committed counts.csv is used then)."""
    if not report.tested or not (ROOT / report.tested).is_file():
        return []
    rows = [r for r in read_csv(ROOT / report.tested) if r.get("split") != "train"]  # "train": never tested
    fakes = [(ROOT / report.tested).parent.joinpath(r["path"]).resolve() for r in rows if r["label"] in ("fake", "1")]
    notes = {}
    for fake in fakes:  # the manifest of the material a video comes from: the nearest folder above it that has one
        source = next((d / "manifest.csv" for d in list(fake.parents)[:3] if (d / "manifest.csv").is_file()), None)
        if source and fake not in notes:
            notes.update({(source.parent / s["path"]).resolve(): s.get("notes", "") for s in read_csv(source)})
    if not fakes or any(f not in notes for f in fakes):
        return []
    return [{"name": "NonPhoto", "value": sum(NON_PHOTO in notes[f] for f in fakes),
             "how": f"fakes of {report.tested} whose source manifest's notes say {NON_PHOTO!r}"}]


def people(manifest: Path) -> int:
    """Distinct people of a manifest: its groups, joined where weights/same_person.csv says two are one person."""
    same = {r["group"]: r["person"] for r in read_csv(ROOT / "weights" / "same_person.csv")} \
        if (ROOT / "weights" / "same_person.csv").is_file() else {}
    return len({same.get(r["group"], r["group"]) for r in read_csv(manifest)})


def demo_settings() -> dict:
    """01_extract_faces.py's demo defaults, with which the Quickstart made the demo report."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("extract_faces", ROOT / "01_extract_faces.py")
    extract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extract)
    args = extract.parse_args(["--demo"])
    return {"DemoPeople": args.identities, "DemoFrames": args.frames, "DemoFakesEach": len(common.DEMO_METHODS),
            "DemoFps": f"{args.fps:g}", "DemoSize": args.size}


# --------------------------------------------------------------------------------------------
# numbers.tex
# --------------------------------------------------------------------------------------------

QUALITY_MACROS = {"blur:1.5": "Blur", "resize:0.5": "HalfRes", "jpeg:30": "Jpeg"}  # 05 --quality-check's checks
# Verdicts that average several models' P(fake), under the estimate's folds (benchmarks/ensemble.py;
# the commands: docs/real-footage.md): the shipped one, the two CNN-LSTMs, and the one it replaced,
# the mouth band with the C3D. paper/results name -> its row's words in the tables.
ENSEMBLES = {"shared_ensemble": "verdict (shipped): CNN-LSTMs, mouth band + lips",
             "shared_ensemble_lstm_c3d": "verdict before: CNN-LSTM mouth band + C3D"}


# Digits spelled out where a name tells runs apart by them (lstm_g_sbi_qmj_i1, _i2): macro names hold letters only.
DIGITS = str.maketrans({"0": "Zero", "1": "One", "2": "Two"})


def ensemble_macros(put, base: str, table: Path, families: bool = True) -> None:
    """The macros of an ensemble.py report's ensemble.csv: \\<base>Auc (the ensemble), ...Minus<Member>Auc
    (the paired differences; a member REPORT@seed_S by its model's name) and, with families,
    ...Family<Family>Auc, each with ...Low and ...High. Its rows 'seed_S' are the caller's to use."""
    for row in read_csv(table):
        difference = row["what"].startswith("ensemble - ")
        if row["what"] == "ensemble":
            what = ""
        elif difference:
            what = "Minus" + macro_name(row["what"].split(" - ")[1].split("@")[0].translate(DIGITS))
        elif families and not row["what"].startswith("seed_"):
            what = "Family" + macro_name(row["what"].replace(" ", "_"))
        else:
            continue
        for suffix, key in (("", "auc"), ("Low", "low"), ("High", "high")):
            put(base + what + "Auc" + suffix, f"{float(row[key]):{'+' if difference else ''}.2f}")


def numbers_tex(results_dir: Path = RESULTS) -> str:
    """numbers.tex: \\newcommand per quoted number, from the committed files of paper/results."""
    lines = ["% Written by paper/collect.py from paper/results/ (results.csv, by_method.csv, configs/, counts.csv): "
             "do not edit."]

    def add(name: str, value) -> None:  # a score: two decimals, as in the tables
        put(name, two(value))

    def put(name: str, text) -> None:  # a count or a setting, as it is
        lines.append(f"\\newcommand{{\\{name}}}{{{text}}}")

    for key, value in demo_settings().items():
        put(key, value)
    put("LandmarkDim", LANDMARK_DIM)  # the (retired) landmark model's features per frame
    put("LandmarkPoints", LANDMARK_POINTS)
    for report in sorted(p for p in results_dir.iterdir() if (p / "results.csv").is_file()):
        results = read_csv(report / "results.csv")
        video = [r for r in results if r["level"] == "video"]
        for row in video:
            base = macro_name(report.name, row["model"])
            for score, suffix in SCORE_MACROS.items():
                if score not in row:
                    continue
                add(base + suffix, row[score])
                if score in INTERVALS:  # "--" where an older file has no interval of this score
                    add(base + suffix + "Low", row.get(f"{score}_ci_low", ""))
                    add(base + suffix + "High", row.get(f"{score}_ci_high", ""))
        for row in video:  # \LogoSharedLstmLstmGSbiSpearman: rank correlation of its scores with sharpness
            if row.get("spearman_sharpness", "") != "":
                put(macro_name(report.name, row["model"]) + "Spearman", f"{float(row['spearman_sharpness']):+.2f}")
        if (report / "quality.csv").is_file():  # ...QualityBlur, ...QualityHalfRes, ...QualityJpeg: shifts of the reals
            for row in read_csv(report / "quality.csv"):
                if row["check"] in QUALITY_MACROS:
                    put(macro_name(report.name, row["model"]) + "Quality" + QUALITY_MACROS[row["check"]],
                        f"{float(row['shift']):+.2f}")
        if video:  # the test set: the same videos for every model of a report (05 refuses to mix them)
            put(macro_name(report.name, "test_videos"), int(video[0]["n"]))
            put(macro_name(report.name, "test_real"), int(video[0]["n_real"]))
            put(macro_name(report.name, "test_fake"), int(video[0]["n_fake"]))
        if (report / "by_method.csv").is_file():
            by_method = [r for r in read_csv(report / "by_method.csv") if r["level"] == "video"]
            for row in by_method:
                add(macro_name(report.name, row["model"], row["method"]) + "Auc", row["auc"])
            methods = sorted({r["method"] for r in by_method})
            put(macro_name(report.name, "methods"), len(methods))
            put(macro_name(report.name, "generators"), len(generators(methods)))
        if (report / "by_family.csv").is_file():  # e.g. \LogoLstmGLstmGFamilyLipSyncAuc, ...Low, ...High
            for row in read_csv(report / "by_family.csv"):
                if row["level"] == "video":
                    base = macro_name(report.name, row["model"], "family", row["family"].replace(" ", "_")) + "Auc"
                    add(base, row["auc"])
                    add(base + "Low", row.get("auc_ci_low", ""))
                    add(base + "High", row.get("auc_ci_high", ""))
        if (report / "folds.json").is_file():  # the folds' mean validation AUC, beside the pooled test AUC
            folds = common.read_json(report / "folds.json")
            add(macro_name(report.name, "val_auc"), folds["mean_val_auc"])
            for cue, auc in folds.get("cues", {}).items():  # \LogoLstmGCueFaceWidth: a cue's AUC alone
                add(macro_name(report.name, "cue", cue.replace(" ", "_")), auc)
        if (report / "counts.csv").is_file():
            for row in read_csv(report / "counts.csv"):
                put(macro_name(report.name, row["name"]), int(row["value"]))
        configs = read_configs(report)
        runs = {r["model"]: r for r in read_csv(report / "configs" / "runs.csv")} if configs else {}
        for model, config in configs.items():
            base = macro_name(report.name, model)
            params, flops = model_size(config)
            shape = input_shape(config)
            put(base + "Params", thousands(params))
            put(base + "Kparams", f"{round(params / 1000)}")
            put(base + "Mflops", mflops_text(flops))
            put(base + "Epochs", config["epochs"])
            put(base + "Batch", config["batch_size"])
            put(base + "Lr", number_text(config["lr"]))
            put(base + "ClipLen", config["clip_len"])
            put(base + "Side", shape[2] if len(shape) == 4 else config["face_settings"]["size"])
            put(base + "Runs", int(runs[model]["runs"]))
        if configs:  # the settings shared by the report's runs (the same data and faces): the first run's
            first = next(iter(configs.values()))
            fs, data = first.get("face_settings", {}), first.get("data", {})
            base = macro_name(report.name)
            for key in ("size", "detect_width", "detect_every", "max_gap", "smooth"):
                if key in fs:
                    put(base + macro_name("face", key), fs[key])
            if fs.get("fps"):
                put(base + "FaceFps", f"{fs['fps']:g}")
            if fs.get("margin") is not None:
                put(base + "FaceScale", f"{1 + 2 * fs['margin']:g}")
            source = data.get("source") or {}  # None where the run's data had no source (runs/all absent)
            if "real" in source:
                put(base + "SourceReal", source["real"])
                put(base + "SourceFake", source["fake"])
                put(base + "SourceVideos", source["real"] + source["fake"])
            if source.get("kind") == "manifest" and (ROOT / source["path"]).is_file():
                put(base + "SourcePeople", people(ROOT / source["path"]))
            if all(int(r["runs"]) == 1 for r in runs.values()) and "train_clips" in data:
                put(base + "TrainClips", sum(data["train_clips"].values()))
                put(base + "ValClips", sum(data["val_clips"].values()))
                put(base + "ValRealClips", data["val_clips"].get("real", 0))
    for name in ENSEMBLES:  # \SharedEnsembleAuc, ...FamilyTalkingHeadAuc, ...MinusLstmGSbiQmjAuc, ...QualityBlur, ...Spearman
        ensemble = results_dir / name
        if not (ensemble / "ensemble.csv").is_file():
            continue
        seeds = [float(r["auc"]) for r in read_csv(ensemble / "ensemble.csv") if r["what"].startswith("seed_")]
        if seeds:  # one model of each member, as the verdict ships: \SharedEnsembleSeedMean, ...SeedSd
            put(macro_name(name) + "SeedMean", f"{np.mean(seeds):.2f}")
            put(macro_name(name) + "SeedSd", f"{np.std(seeds, ddof=1):.2f}" if len(seeds) > 1 else "--")
        ensemble_macros(put, macro_name(name), ensemble / "ensemble.csv")
        for row in read_csv(ensemble / "quality.csv"):
            check = QUALITY_MACROS.get(row["check"], "Spearman" if row["check"].startswith("spearman") else None)
            if check:
                put(macro_name(name) + ("" if check == "Spearman" else "Quality") + check, f"{float(row['shift']):+.2f}")
    # One training run's own chance: the verdict's members retrained on seed 0's folds with other initial
    # weights (paper/results/shared_inits/README.md): \InitsVerdictIOneAuc, \InitsVerdictIZeroOneTwoMinusOneIZeroAuc, ...
    for folder in sorted((results_dir / "shared_inits").glob("*/ensemble.csv")):
        ensemble_macros(put, "Inits" + macro_name(folder.parent.name.translate(DIGITS)), folder, families=False)
    for folder in sorted((results_dir / "shared_inits").glob("*/results.csv")):  # each retrained run: \InitsLstmGSbiQmjIOneAuc
        video = next(r for r in read_csv(folder) if r["level"] == "video")
        put("Inits" + macro_name(folder.parent.name.translate(DIGITS)) + "Auc", f"{float(video['auc']):.2f}")
    first_draw = results_dir / "shared_inits" / "verdict_i0" / "predictions_video.csv"  # its members: seed 0's own runs
    if first_draw.is_file():
        rows = read_csv(first_draw)
        for member in (c for c in rows[0] if c.endswith("@seed_0")):  # \InitsLstmGSbiQmjIZeroAuc
            auc = common.rank_auc(np.array([int(r["label"]) for r in rows]), np.array([float(r[member]) for r in rows]))
            put("Inits" + macro_name(member.split("@")[0]) + "IZeroAuc", f"{auc:.2f}")
    for first, second in PAIRED:  # e.g. \DiffLstmGBaseG: +0.09, ...Low, ...High (paired bootstrap)
        files = [results_dir / f"logo_{k}" / "predictions_video.csv" for k in (first, second)]
        if all(f.is_file() for f in files):
            try:
                d = common.paired_auc_difference(*common.paired_video_scores(*files))
            except ValueError:  # different test sets: no paired difference to quote
                continue
            name = "Diff" + TRANSFER_NAMES[first] + TRANSFER_NAMES[second]
            for suffix, key in (("", "diff"), ("Low", "low"), ("High", "high")):
                put(name + suffix, f"{d[key]:+.2f}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# The ROC figure
# --------------------------------------------------------------------------------------------

ROC_SIZE = (3.1, 2.9)  # inches: printed at half the page's width (0.48\textwidth), so 8 pt stays 8 pt


def draw_roc(report_dir: Path, title: str, configs: dict[str, dict]) -> None:
    """roc.png: the video-level ROC curves of predictions_video.csv, drawn for print."""
    from sklearn.metrics import roc_curve

    plt = common._pyplot()
    rows = read_csv(report_dir / "predictions_video.csv")
    fig, ax = plt.subplots(figsize=ROC_SIZE)
    results = {r["model"]: r for r in read_csv(report_dir / "results.csv") if r["level"] == "video"}
    for model in dict.fromkeys(r["model"] for r in rows):
        y = np.array([int(r["label"]) for r in rows if r["model"] == model])
        p = np.array([float(r["prob"]) for r in rows if r["model"] == model])
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, p)
        name = model_title(configs[model]) if model in configs else model
        ax.plot(fpr, tpr, lw=1.4, label=f"{name}: AUC {two(results[model]['auc'])}")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false positive rate (real called fake)", fontsize=8)
    ax.set_ylabel("true positive rate (fake caught)", fontsize=8)
    ax.set_title(textwrap.fill(title, 40), fontsize=9)  # a long title on two lines, never cut at the edges
    ax.tick_params(labelsize=7.5)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=7.5, frameon=True, handlelength=1.5)
    fig.tight_layout(pad=0.3)
    fig.savefig(report_dir / "roc.png", dpi=200, metadata={"Software": None})
    plt.close(fig)


def crop_title(png: Path, out: Path) -> None:
    """05's roc_video.png without its title (which names internal folders): the rows above the plot's frame."""
    plt = common._pyplot()
    img = plt.imread(png)
    dark = img[..., :3].mean(axis=2) < 0.35
    frame = int(np.flatnonzero(dark.sum(axis=1) > 0.5 * dark.shape[1])[0])  # the top of the axes' box
    plt.imsave(out, img[max(0, frame - 2):], metadata={"Software": None})


def video_predictions(source: Path) -> list[dict]:
    rows = []
    for path in sorted(source.glob("predictions_*.csv")):
        for r in read_csv(path):
            if r["level"] == "video":
                rows.append({"model": path.stem[len("predictions_"):], "video_id": r["video_id"], "label": r["label"],
                             "method": r["method"], "prob": r["prob"]})
    return rows


# --------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# Choosing by transfer: every leave-generator-out report -> transfer.csv, transfer.tex, and the
# Markdown tables of docs/real-footage.md and README.md
# --------------------------------------------------------------------------------------------

def describe_run(config: dict) -> dict:
    """A configuration in words, from its config.json: the model, what it learns from, its pseudo-fakes."""
    if config.get("input") == "landmarks":
        model = "landmark model"
    elif config["model"] == "c3d":
        model = "C3D"
    elif config.get("temporal") == "mean":
        model = "frame baseline"
    else:
        model = "CNN-LSTM"
    # in brackets: what a CNN-LSTM reads (frames, differences), the region when not the whole face, and
    # its window when not the 16 frames every pixel model of the estimates has
    seen = [SHORT_INPUT_WORDS.get(config.get("input"), config.get("input"))] if model == "CNN-LSTM" else []
    seen += [config["region"]] if config.get("region", "face") != "face" else []
    seen += [f"{config['clip_len']} frames"] if model == "CNN-LSTM" and config["clip_len"] != 16 else []
    seen += [f"{config['input_size']} px"] if config.get("input_size") not in (None, 64) else []  # every other: 64 px
    model += f" ({', '.join(seen)})" if seen else ""
    if config.get("degrade") or config.get("match_sharpness"):  # issue 27's training that cannot read quality
        model += ", quality-invariant"
    if config.get("compress"):
        model += " + JPEG"
    if config.get("degrade") and config["degrade"] != 0.8:
        # issue 27's tries degrade (and compress) 80% of the training clips; one does so on fewer
        model += f", on {config['degrade']:.0%} of clips"
    if config.get("degrade") and config.get("epochs", 5) != 5:  # issue 27's tries train 5 epochs; one trains longer
        model += f", {config['epochs']} epochs"
    if config.get("width", 16) != 16 and model.startswith("CNN-LSTM"):
        model += f", {config['width']} channels"  # --width: the CNN's first layer (every other CNN-LSTM: 16)
    if config.get("keep") == "last":
        model += ", last epoch"  # best.pt holds the last epoch's weights, not the best validation epoch's
    if "mouthblend" in (config.get("pseudo_fakes") or []):
        model += ", + lower-face blends"  # --pseudo-fakes selfblend,mouthblend: half the fakes blend the lower face only
    if not config.get("pseudo_fakes") and not config.get("real_only") and config.get("input") != "landmarks":
        model += ", no pseudo-fakes"  # genuine fakes alone (every other pixel model pairs its reals with fakes of them)
    fakes = ", ".join(config.get("pseudo_fakes") or []) or "none"
    where = ("in the mesh" if config.get("input") == "landmarks" else
             "at the face's resolution" if config.get("fake_resolution", "face") == "face" else "at the model's input")
    # the pixel models' pseudo-fakes follow the mesh unless --masks ellipse; the landmark model has none
    masks = "" if config.get("input") == "landmarks" or not config.get("pseudo_fakes") else config.get("masks", "mesh")
    return {"model": model, "encoder": "ImageNet Lite0" if config.get("encoder") == "lite0" else
            ("none" if config.get("input") == "landmarks" else "3D CNN" if config["model"] == "c3d" else "small CNN"),
            "learns from": "real only" if config.get("real_only") else "genuine fakes too",
            "pseudo-fakes": fakes, "fakes made": where, "masks": masks, "frames": config["clip_len"]}


# The main configurations (the three pixel models and the landmark model, as the recipe trains them):
# the README's table and the slides' (transfer_main.tex); the paper's table holds every row.
MAIN_TRANSFER = ("lstm_g_sbi", "c3d_g_sbi", "base_g_sbi", "lm")
TRANSFER_SCORES = ("auc", "face swap", "reenactment", "lip-sync", "talking head", "all but easy cues",
                   "same person (paired)")


def transfer_rows(results_dir: Path = RESULTS) -> list[dict]:
    """One row per TRANSFER configuration whose report is committed: its description, what it was
    tested on, the pooled video AUC with its interval (of the seed-averaged scores, where there are
    seeds), the mean and spread of the seeds' own AUCs, per family, without the easy-cue
    generators, on the paired subset, the rank correlation of its scores with the face crops'
    sharpness, and the mean validation AUC of its folds (what training saw: seen generators, or
    pseudo-fakes). Then the footage-cue floor's rows (CUE_REPORTS), under the same folds."""
    rows = []
    for key, (_, _, data) in TRANSFER.items():
        folder = results_dir / f"logo_{key}"
        if not (folder / "results.csv").is_file():
            continue
        configs = read_configs(folder)
        video = next(r for r in read_csv(folder / "results.csv") if r["level"] == "video")
        row = {"key": key, **describe_run(configs[key]), "real videos": data, "tested": tested_set(key)}
        row.update(estimate_scores(video, folder / "by_family.csv"))
        quality = {r["check"]: r["shift"] for r in read_csv(folder / "quality.csv")} \
            if (folder / "quality.csv").is_file() else {}
        row["quality shifts"] = " / ".join(f"{float(quality[c]):+.2f}" for c in ("blur:1.5", "resize:0.5", "jpeg:30")
                                           if c in quality)
        folds = common.read_json(folder / "folds.json") if (folder / "folds.json").is_file() else {}
        row["val_auc"] = folds.get("mean_val_auc", "")
        rows.append(row)
    for name in CUE_REPORTS.values():
        folder = results_dir / name
        if not (folder / "results.csv").is_file():
            continue
        for video in read_csv(folder / "results.csv"):
            if name in MOTION_ROWS and not MOTION_ROWS[name](video["model"]):
                continue  # the fused model's own scores, as its report has them: its row is there already
            label = video["model"] if name in MOTION_ROWS else f"footage cues: {video['model']}"  # motion's name themselves
            rows.append({"key": f"{name}:{video['model']}", "model": label,
                         "encoder": "none", "learns from": "genuine fakes too", "pseudo-fakes": "none", "fakes made": "",
                         "masks": "", "frames": "", "real videos": "all", "tested": tested_set(name),
                         **estimate_scores(video, folder / "by_family.csv", video["model"]), "quality shifts": "",
                         "val_auc": ""})
    for name, words in ENSEMBLES.items():  # the verdicts: each video scored by its members' mean P(fake)
        folder = results_dir / name
        if (folder / "ensemble.csv").is_file():
            rows.append(ensemble_row(name, words, folder))
    return rows


def ensemble_row(key: str, words: str, folder: Path) -> dict:
    """A transfer-table row of an ensemble.py report: its AUC and families, its quality check, and
    its seeds (rows 'seed_S': one model of each member, as the verdict ships) where it has them."""
    scores = {r["what"]: r for r in read_csv(folder / "ensemble.csv")}
    seeds = [float(r["auc"]) for what, r in scores.items() if what.startswith("seed_")]
    quality = {r["check"]: r["shift"] for r in read_csv(folder / "quality.csv")}
    whole = scores["ensemble"]
    row = {"key": key, "model": words, "encoder": "", "learns from": "genuine fakes too", "pseudo-fakes": "self-blended",
           "fakes made": "", "masks": "", "frames": "", "real videos": "all", "tested": TESTED["shared_"],
           "videos": whole["videos"], "auc": whole["auc"], "auc_low": whole["low"], "auc_high": whole["high"],
           "seeds": len(seeds) or "", "auc_seed_mean": round(float(np.mean(seeds)), 4) if seeds else "",
           "auc_seed_sd": round(float(np.std(seeds, ddof=1)), 4) if len(seeds) > 1 else "", "val_auc": "",
           "spearman_sharpness": next((v for c, v in quality.items() if c.startswith("spearman")), ""),
           "quality shifts": " / ".join(f"{float(quality[c]):+.2f}" for c in ("blur:1.5", "resize:0.5", "jpeg:30")
                                        if c in quality)}
    for score in THRESHOLD_SCORES:  # scored at no threshold of its own
        row.update({score: "", f"{score}_low": "", f"{score}_high": ""})
    for fam in TRANSFER_SCORES[1:]:
        f = scores.get(fam, {})
        row.update({fam: f.get("auc", ""), f"{fam}_low": f.get("low", ""), f"{fam}_high": f.get("high", "")})
    return row


# The brief's scores beside the AUC: accuracy and F1 at the folds' validation thresholds (a
# threshold is never chosen on the videos it scores), and the MSE (Brier score) of P(fake).
THRESHOLD_SCORES = {"accuracy": "accuracy_val", "f1": "f1_val", "mse": "mse"}


def estimate_scores(video: dict, by_family: Path, model: str | None = None) -> dict:
    """The transfer table's numbers of one estimate: results.csv's video row and by_family.csv."""
    out = {"videos": video["n"], "auc": video["auc"], "auc_low": video["auc_ci_low"], "auc_high": video["auc_ci_high"],
           **{k: video.get(k, "") for k in ("seeds", "auc_seed_mean", "auc_seed_sd", "spearman_sharpness")}}
    for score, column in THRESHOLD_SCORES.items():  # at the validation threshold where the report has one
        key = column if column in video else column.removesuffix("_val")
        out.update({score: video.get(key, ""), f"{score}_low": video.get(f"{key}_ci_low", ""),
                    f"{score}_high": video.get(f"{key}_ci_high", "")})
    families = {r["family"]: r for r in read_csv(by_family) if r["level"] == "video" and model in (None, r["model"])}
    for fam in TRANSFER_SCORES[1:]:
        f = families.get(fam, {})
        out.update({fam: f.get("auc", ""), f"{fam}_low": f.get("auc_ci_low", ""), f"{fam}_high": f.get("auc_ci_high", "")})
    return out


def interval_text(row: dict, key: str) -> str:
    """'0.63 [0.52, 0.74]' (or '--')."""
    if number(row.get(key, "")) != number(row.get(key, "")):
        return "--"
    return f"{two(row[key])} [{two(row[key + '_low'])}, {two(row[key + '_high'])}]"


# The first estimate's tables (the first development set, 110 videos, one run each) keep their
# columns; the estimates over all shared material have tables of their own (shared_markdown).
DEV_SCORES = TRANSFER_SCORES[1:6]


def dev_rows(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["tested"] == TESTED[""]]


def transfer_markdown(rows: list[dict]) -> str:
    """The Markdown table of the first estimates (the first development set, 110 videos)."""
    rows = dev_rows(rows)
    head = ("| model | encoder | learns from | pseudo-fakes (made) | real videos | video AUC [95% CI] | face swap | "
            "reenactment | lip-sync | talking head | without easy cues | validation AUC |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        val = "--" if r["val_auc"] in ("", None) else two(r["val_auc"])
        made = r["fakes made"] + (", ellipse masks" if r["masks"] == "ellipse" else "")
        fakes = r["pseudo-fakes"] if r["pseudo-fakes"] == "none" else f"{r['pseudo-fakes']} ({made})"
        lines.append(f"| {r['model']} | {r['encoder']} | {r['learns from']} | {fakes} "
                     f"| {r['real videos']} | {interval_text(r, 'auc')} | "
                     + " | ".join(interval_text(r, f) for f in DEV_SCORES) + f" | {val} |")
    return "\n".join(lines) + "\n"


def transfer_tex(rows: list[dict]) -> str:
    """transfer.tex: the first estimates as a booktabs table for the paper (pooled AUC, per family, no easy cues)."""
    rows = dev_rows(rows)
    lines = [CI_MACRO, r"\begin{tabular}{@{}llccccccc@{}}", r"\toprule",
             r"model & learns from & AUC & swap & reenact. & lip-sync & talk.\ head & no easy cues & val. \\", r"\midrule"]
    for r in rows:
        cells = [with_interval({"v": r["auc"], "v_ci_low": r["auc_low"], "v_ci_high": r["auc_high"]}, "v")]
        for fam in DEV_SCORES:
            cells.append(with_interval({"v": r[fam], "v_ci_low": r[f"{fam}_low"], "v_ci_high": r[f"{fam}_high"]}, "v"))
        extra = "" if r["real videos"] == "all" else f", {r['real videos']}"
        setting = (f"{r['learns from']}, " + (r["pseudo-fakes"] if r["pseudo-fakes"] != "none" else "no pseudo-fakes") + ("" if r["encoder"] in ("small CNN", "3D CNN", "none") else
                                                                 f", {r['encoder']}")
                   + (", fakes at input" if r["fakes made"] == "at the model's input" else "")
                   + (", ellipse masks" if r["masks"] == "ellipse" else "") + extra)
        val = "--" if r["val_auc"] in ("", None) else two(r["val_auc"])
        lines.append(f"{tex_name(r['model'])} & {tex_name(setting)} & " + " & ".join(cells) + f" & {val}" + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


# Markdown tables that docs and the README hold, between <!-- collect:NAME --> and <!-- /collect -->:
# written here, checked by tests/test_paper.py, so that README, docs and paper cannot disagree.
DOC_TABLES = {"transfer": lambda rows: transfer_markdown(rows), "transfer_shared": lambda rows: shared_markdown(rows),
              "shipped": lambda rows: shipped_markdown(rows)}
DOC_FILES = ("README.md", "docs/real-footage.md", "docs/model-card.md", "docs/demo.md")
# Tables written from one report's files rather than from the transfer rows: NAME -> (report, how).
REPORT_TABLES = {"demo": ("demo", demo_markdown), "shipped_generators": ("shared_ensemble", generators_markdown)}


def transfer_slide_tex(rows: list[dict]) -> str:
    """transfer_slide.tex: the main estimates in six columns, which a slide sets at 8 pt or more."""
    lines = [CI_MACRO, r"\begin{tabular}{@{}lccccc@{}}", r"\toprule",
             r"model & AUC & reenact. & lip-sync & talk.\ head & no easy cues \\", r"\midrule"]
    for r in dev_rows([r for r in rows if r["key"] in MAIN_TRANSFER]):
        cells = [with_interval({"v": r[k], "v_ci_low": r[f"{k}_low"], "v_ci_high": r[f"{k}_high"]}, "v")
                 for k in ("auc", "reenactment", "lip-sync", "talking head", "all but easy cues")]
        lines.append(f"{tex_name(r['model'])} & " + " & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def transfer_scores_tex(rows: list[dict]) -> str:
    """transfer_scores.tex: the main estimates' AUC beside accuracy and F1 (at the folds' validation
    thresholds) and MSE, each with its 95% bootstrap interval, on the first dev set and on all shared material."""
    keep = [r for r in rows if r["key"] in MAIN_TRANSFER or r["key"] in SHARED_TRANSFER]
    lines = [CI_MACRO, r"\begin{tabular}{@{}llccccc@{}}", r"\toprule",
             r"model & tested (videos) & AUC & accuracy$_\mathrm{val}$ & F1$_\mathrm{val}$ & MSE & seeds \\", r"\midrule"]
    for r in keep:
        cells = [with_interval({"v": r[k], "v_ci_low": r[f"{k}_low"], "v_ci_high": r[f"{k}_high"]}, "v")
                 for k in ("auc", *THRESHOLD_SCORES)]
        name = shared_label(r) if r["key"] in SHARED_TRANSFER else r["model"]
        lines.append(f"{tex_name(name)} & {tex_name(r['tested'])} ({r['videos']}) & " + " & ".join(cells)
                     + f" & {r['seeds'] or 1}" + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def shared_rows(rows: list[dict]) -> list[dict]:
    """The estimates over all shared material, then the motion statistics, the footage-cue floor last."""
    mine = [r for r in rows if r["tested"] != TESTED[""]]
    return sorted(mine, key=lambda r: (r["tested"], r["model"].startswith("footage cues"), "motion" in r["model"]))


def seeds_text(row: dict) -> str:
    """'0.60 +- 0.02 (3)': the mean and standard deviation of the seeds' own AUCs, and how many."""
    if number(row.get("auc_seed_sd", "")) != number(row.get("auc_seed_sd", "")):
        return "--"
    return f"{two(row['auc_seed_mean'])} +- {two(row['auc_seed_sd'])} ({row['seeds']})"


SHARED_COLUMNS = ("face swap", "reenactment", "lip-sync", "talking head", "same person (paired)")


def shared_label(row: dict) -> str:
    """A row's model as the shared tables name it: they have no 'learns from' column, so a model that
    learned from real videos and their pseudo-fakes alone says so in its name."""
    return row["model"] + (", real videos and pseudo-fakes only" if row["learns from"] == "real only" else "")


def shared_markdown(rows: list[dict]) -> str:
    """The Markdown table of the estimates over all shared material, beside the footage-cue floor."""
    head = ("| model | tested | videos | AUC of the seed-averaged scores [95% CI] | seeds: mean +- sd (n) | "
            + " | ".join(SHARED_COLUMNS) + " | Spearman with sharpness | blur / half res. / JPEG: shift of the reals | "
            "validation AUC |")
    lines = [head, "|" + "---|" * (8 + len(SHARED_COLUMNS))]
    for r in shared_rows(rows):
        val = "--" if r["val_auc"] in ("", None) else two(r["val_auc"])
        lines.append(f"| {shared_label(r)} | {r['tested']} | {r['videos']} | {interval_text(r, 'auc')} | {seeds_text(r)} | "
                     + " | ".join(interval_text(r, f) for f in SHARED_COLUMNS)
                     + f" | {two(r['spearman_sharpness'])} | {r['quality shifts'] or '--'} | {val} |")
    return "\n".join(lines) + "\n"


# The configurations that ship (docs/real-footage.md, "The recipe") and the footage-cue floor, for the
# README and the model card: what the shipped weights' recipe scores on generators it never saw.
SHIPPED_TRANSFER = ("shared_ensemble", "shared_lstm_g_sbi_qmj", "shared_lstm_g_sbi_qlj", "shared_c3d_g_sbi",
                    "shared_base_g_sbi", "shared_cues:all cues, forest")


def shipped_markdown(rows: list[dict]) -> str:
    """The Markdown table of the shipped configurations' estimates, beside the footage-cue floor."""
    head = ("| model | unseen generators: video AUC [95% CI] | seeds: mean +- sd (n) | "
            + " | ".join(SHARED_COLUMNS[:-1]) + " | Spearman with sharpness | blur / half res. / JPEG: shift of the reals |")
    lines = [head, "|" + "---|" * (4 + len(SHARED_COLUMNS))]
    by_key = {r["key"]: r for r in rows}
    for r in (by_key[k] for k in SHIPPED_TRANSFER if k in by_key):
        lines.append(f"| {r['model']} | {interval_text(r, 'auc')} | {seeds_text(r)} | "
                     + " | ".join(interval_text(r, f) for f in SHARED_COLUMNS[:-1])
                     + f" | {two(r['spearman_sharpness'])} | {r['quality shifts'] or '--'} |")
    return "\n".join(lines) + "\n"


def shared_tex(rows: list[dict]) -> str:
    """transfer_shared.tex: the same for the paper."""
    lines = [CI_MACRO, r"\begin{tabular}{@{}llccccccccc@{}}", r"\toprule",
             r"model & tested & AUC & seeds & swap & reenact. & lip-sync & talk.\ head & paired & $\rho$ sharp. \\",
             r"\midrule"]
    for r in shared_rows(rows):
        cells = [with_interval({"v": r[f], "v_ci_low": r[f"{f}_low"], "v_ci_high": r[f"{f}_high"]}, "v")
                 for f in ("auc", *SHARED_COLUMNS)]
        cells.insert(1, seeds_text(r).replace("+-", r"$\pm$"))
        lines.append(f"{tex_name(shared_label(r))} & {tex_name(r['tested'])} & " + " & ".join(cells)
                     + f" & {two(r['spearman_sharpness'])}" + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def fill_doc_tables(text: str, rows: list[dict], results: Path = RESULTS) -> str:
    """The text with every <!-- collect:NAME --> block replaced by DOC_TABLES[NAME](rows), or by
    REPORT_TABLES' table of results/<report>."""
    import re

    def fill(match):
        name = match.group(1)
        table = (REPORT_TABLES[name][1](results / REPORT_TABLES[name][0]) if name in REPORT_TABLES
                 else DOC_TABLES[name](rows))
        return f"<!-- collect:{name} -->\n{table}<!-- /collect -->"

    return re.sub(r"<!-- collect:(\w+) -->\n.*?<!-- /collect -->", fill, text, flags=re.S)


# Where the commands behind each report are (the message for a report that is neither committed nor in runs/).
COMMANDS = {"demo": "README.md, 'Quickstart'", "all_val": "docs/real-footage.md, 'The recipe'",
            "real": "docs/real-footage.md, 'The first recipe, for the record'",
            "real_pseudo": "docs/real-footage.md, 'The first recipe, for the record'",
            "real_jpeg": "docs/real-footage.md, 'Ablation and robustness'",
            "ablation": "docs/real-footage.md, 'Ablation and robustness'"}


def relative(path: Path, root: Path) -> str:
    """A path as the user knows it (paper/results/demo), also when a dry run writes into a scratch copy."""
    return str(path.relative_to(root))


def copy_cue_reports(take: set[str], results: Path, root: Path) -> None:
    """benchmarks/footage_cues.py's reports (CUE_REPORTS) that --take-runs names, into paper/results."""
    for folder, name in CUE_REPORTS.items():
        source, out = ROOT / folder, results / name
        if not (source / "results.csv").is_file() or name not in take:
            if (source / "results.csv").is_file() and (out / "results.csv").is_file():
                print(f"kept {relative(out, root)} ({folder} has a report too: --take-runs {name} copies it over)")
            continue
        out.mkdir(parents=True, exist_ok=True)
        for filename in ("results.csv", "by_family.csv", "by_seed.csv", "cues.csv", "motion.csv"):
            if (source / filename).is_file():
                shutil.copy(source / filename, out / filename)
        predictions = video_predictions(source)
        common.write_csv(out / "predictions_video.csv", predictions, list(predictions[0]))
        print(f"copied {folder} -> {relative(out, root)}")


def collect(take: set[str], results: Path, root: Path) -> None:
    """The whole collection, written under root (the repository, or a dry run's scratch copy of what it writes):
    results is root's paper/results. take: the reports to copy from runs/ first."""
    copied = 0
    for name, report in REPORTS.items():
        source, out = ROOT / report.folder, results / name
        in_runs, committed = (source / "results.csv").is_file(), (out / "results.csv").is_file()
        if in_runs and name in take:
            out.mkdir(parents=True, exist_ok=True)
            for filename in FILES:
                if (source / filename).is_file():
                    shutil.copy(source / filename, out / filename)
            for seeds in source.glob("seeds_*.csv"):  # each seed's own scores (05 --pool over seeds)
                shutil.copy(seeds, out / seeds.name)
            predictions = video_predictions(source)
            if predictions:
                common.write_csv(out / "predictions_video.csv", predictions, list(predictions[0]))
            if (source / "roc_video.png").is_file() and not predictions:
                shutil.copy(source / "roc_video.png", out / "roc_video.png")
            copied += 1
            fresh = True
            print(f"copied {report.folder} -> {relative(out, root)}")
        elif not committed:
            where = COMMANDS.get(name, "docs/real-footage.md, 'Choosing by transfer'")
            print(f"skipped {name}: no committed copy in {relative(out, root)}"
                  + (f"; {report.folder} has one: add --take-runs {name} to copy it in" if in_runs
                     else f" and no {report.folder}/results.csv (its commands: {where})"))
            continue
        else:
            fresh = False
            print(f"kept {relative(out, root)}" + (f" ({report.folder} has a report too: --take-runs {name} "
                                                   "copies it over the committed one)" if in_runs else ""))
        # the configs of a kept report stay as committed: the runs that made it may be gone, and the
        # weights/ fallback (a later run) would describe something it did not test
        n_configs = copy_configs(report, out) if fresh else 0
        counts = tested_counts(report)
        if counts:
            common.write_csv(out / "counts.csv", counts, ["name", "value", "how"])
        configs = read_configs(out)
        results_rows = read_csv(out / "results.csv")
        (out / "scores.tex").write_text(scores_table(results_rows, constant_models(out)), encoding="utf-8")
        for csv_name, key, tex in (("by_method.csv", "method", "methods.tex"), ("by_family.csv", "family", "families.tex")):
            if (out / csv_name).is_file():
                (out / tex).write_text(subset_table(read_csv(out / csv_name), key, key), encoding="utf-8")
        for model, config in configs.items():
            if not retired(config):  # a retired model's table stays as committed: common.py no longer builds it
                (out / f"architecture_{model}.tex").write_text(architecture_table(config, model), encoding="utf-8")
        if configs:
            (out / "training.tex").write_text(training_table(configs), encoding="utf-8")
        if (out / "predictions_video.csv").is_file():
            draw_roc(out, report.title, configs)
            (out / "roc_video.png").unlink(missing_ok=True)  # one figure per report in git
        elif (out / "roc_video.png").is_file():
            crop_title(out / "roc_video.png", out / "roc.png")
            print(f"  {name}: no predictions to redraw the ROC figure from: roc.png is 05's figure without its title")
        print(f"  {name}: scores.tex" + (", training.tex, architecture_*.tex" if configs else "")
              + (f" ({n_configs} configs copied)" if n_configs else ""))
    copy_cue_reports(take, results, root)
    rows = transfer_rows(results)
    if rows:
        common.write_csv(results / "transfer.csv", rows, list(rows[0]))
        (results / "transfer.tex").write_text(transfer_tex(rows), encoding="utf-8")
        (results / "transfer_main.tex").write_text(transfer_tex([r for r in rows if r["key"] in MAIN_TRANSFER]),
                                                   encoding="utf-8")
        (results / "transfer_shared.tex").write_text(shared_tex(rows), encoding="utf-8")
        (results / "transfer_scores.tex").write_text(transfer_scores_tex(rows), encoding="utf-8")
        (results / "transfer_slide.tex").write_text(transfer_slide_tex(rows), encoding="utf-8")
        print(f"wrote {relative(results, root)}/transfer.csv, transfer.tex, transfer_main.tex, transfer_shared.tex, "
              "transfer_scores.tex")
    for doc in DOC_FILES:
        path = root / doc
        if path.is_file():
            path.write_text(fill_doc_tables(path.read_text(encoding="utf-8"), rows, results), encoding="utf-8")
    print(f"wrote the generated tables of {', '.join(DOC_FILES)}")
    (root / "paper" / "numbers.tex").write_text(numbers_tex(results), encoding="utf-8")
    print(f"{copied} reports copied from runs/; wrote paper/numbers.tex")


def written_files(root: Path) -> list[Path]:
    """What collect() may write under root, relative to it: paper/results/, numbers.tex and the documents."""
    files = [p.relative_to(root) for p in (root / "paper" / "results").rglob("*") if p.is_file()]
    return sorted(files) + [Path("paper/numbers.tex")] + [Path(d) for d in DOC_FILES if (root / d).is_file()]


def dry_run(take: set[str]) -> None:
    """The collection done in a scratch copy of what it writes; then the files it would add or change."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        shutil.copytree(RESULTS, scratch / "paper" / "results")
        for f in [Path("paper/numbers.tex"), *map(Path, DOC_FILES)]:
            if (ROOT / f).is_file():
                (scratch / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / f, scratch / f)
        print("dry run: collecting into a scratch copy; nothing in the repository is written")
        collect(take, scratch / "paper" / "results", scratch)
        changed = [f for f in written_files(scratch)
                   if not (ROOT / f).is_file() or (ROOT / f).read_bytes() != (scratch / f).read_bytes()]
    print(f"\ndry run: {len(changed)} files would be added or changed" + (":" if changed else
                                                                         " (the committed files are what it writes)"))
    for f in changed:
        print(f"  {'changed' if (ROOT / f).is_file() else 'new    '}  {f}")
    if changed:
        print("run it without --dry-run to write them" + ("" if take else "; git diff shows what changed"))


def main(args: argparse.Namespace | None = None) -> None:
    args = args or parse_args([])  # called from Python (the tests): the defaults
    folders = {**{n: r.folder for n, r in REPORTS.items()}, **{n: f for f, n in CUE_REPORTS.items()}}  # name -> runs/...
    in_runs = [n for n, folder in folders.items() if (ROOT / folder / "results.csv").is_file()]
    if args.take_runs is None:
        take = set()
    elif args.take_runs:
        unknown = [n for n in args.take_runs if n not in folders]
        if unknown:
            raise SystemExit(f"error: no report named {', '.join(unknown)}; the reports: {', '.join(folders)}")
        missing = [n for n in args.take_runs if n not in in_runs]
        if missing:
            raise SystemExit("error: nothing to take for " + ", ".join(f"{n} ({folders[n]}/results.csv not found)"
                                                                      for n in missing)
                             + f"; run its commands first ({', '.join(COMMANDS.get(n, 'docs/real-footage.md') for n in missing)})")
        take = set(args.take_runs)
    else:
        take = set(in_runs)
        if not take:
            raise SystemExit("error: --take-runs: no report under runs/ to take (run 05_evaluate.py first); "
                             "without --take-runs the committed reports are used")
    if args.dry_run:
        dry_run(take)
        return
    collect(take, RESULTS, ROOT)
    print("next: git diff paper/ README.md docs/ (what changed), then make -C paper && make -C slides")


if __name__ == "__main__":
    main(ARGS)
