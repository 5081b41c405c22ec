"""Collect the measured results that the paper and the slides report, from the runs that the
README's documented commands produce.

Reads   the report folders written by 05_evaluate.py (REPORTS below: the demo, the real-footage
        recipe on genuine fakes and on pseudo-fakes of held-out people, its robustness to JPEG,
        and the ablation), when they exist under runs/
Writes  paper/results/<name>/: results.csv, by_method.csv, results.tex, by_method.tex and the
        figure the paper shows (roc_video.png) (copies: a clean clone builds the paper without runs/), and
        paper/numbers.tex: one LaTeX macro per number the text quotes (\\RealCthreeAUC, ...),
        read from those results.csv files, so that the text never retypes a number.
tests/test_paper.py checks that the committed tables and numbers.tex are exactly what the
committed results files give, and that paper.tex and slides.tex quote no number of ours by hand.

Run (from the repository root, after the Quickstart and the README's real-footage recipe):
    python paper/collect.py          # then: make -C paper  (and make -C slides)
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import read_csv  # noqa: E402  (the repository's common.py)

RESULTS = ROOT / "paper" / "results"
# name in paper/results -> the report folder that 05 writes for it (see README)
REPORTS = {"demo": "runs/report", "real": "runs/report_real", "real_pseudo": "runs/report_real_pseudo",
           "real_jpeg": "runs/report_real_jpeg30", "ablation": "runs/report_ablation"}
# Only the figure the paper and slides show: every copied PNG is a binary kept in git.
FILES = ("results.csv", "by_method.csv", "results.tex", "by_method.tex", "roc_video.png")
# Macro name prefixes for the runs the text quotes (run folder name -> LaTeX-safe name).
MODELS = {"c3d": "Cthree", "cnn_lstm": "Lstm", "frame_baseline": "Base"}


def macro_name(*parts: str) -> str:
    """'real', 'c3d', 'auc' -> 'RealCthreeAuc' (LaTeX macro names hold letters only)."""
    out = ""
    for part in parts:
        part = MODELS.get(part, part)  # a run's folder name: cnn_lstm -> Lstm
        for word in part.replace("-", "_").split("_"):
            out += "".join(ch for ch in word[:1].upper() + word[1:] if ch.isalpha())
    return out


def numbers_tex(results_dir: Path = RESULTS) -> str:
    """numbers.tex: \\newcommand per quoted number, two decimals, from the committed results files."""
    lines = ["% Written by paper/collect.py from paper/results/*/results.csv and by_method.csv: do not edit."]

    def add(name: str, value: str) -> None:
        v = float(value) if value not in ("", None) else float("nan")
        lines.append(f"\\newcommand{{\\{name}}}{{{'--' if v != v else f'{v:.2f}'}}}")

    for report in sorted(p for p in results_dir.iterdir() if (p / "results.csv").is_file()):
        for row in read_csv(report / "results.csv"):
            if row["level"] != "video":
                continue
            base = macro_name(report.name, row["model"])
            add(base + "Auc", row["auc"])
            add(base + "AucLow", row["auc_ci_low"])
            add(base + "AucHigh", row["auc_ci_high"])
            add(base + "Eer", row["eer"])
            add(base + "BalAcc", row["balanced_accuracy_val"])
        if (report / "by_method.csv").is_file():
            for row in read_csv(report / "by_method.csv"):
                if row["level"] == "video":
                    add(macro_name(report.name, row["model"], row["method"]) + "Auc", row["auc"])
    return "\n".join(lines) + "\n"


def main():
    copied = 0
    for name, folder in REPORTS.items():
        source = ROOT / folder
        if not (source / "results.csv").is_file():
            print(f"skipped {name}: {source / 'results.csv'} not found (run the commands the README gives for it)")
            continue
        (RESULTS / name).mkdir(parents=True, exist_ok=True)
        for filename in FILES:
            if (source / filename).is_file():
                shutil.copy(source / filename, RESULTS / name / filename)
        copied += 1
        print(f"copied {source} -> {RESULTS / name}")
    (ROOT / "paper" / "numbers.tex").write_text(numbers_tex(), encoding="utf-8")
    print(f"{copied} reports copied; wrote {ROOT / 'paper' / 'numbers.tex'}; next: make -C paper && make -C slides")


if __name__ == "__main__":
    main()
