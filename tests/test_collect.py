"""paper/collect.py is safe to try: --help answers at once and writes nothing, --dry-run writes
nothing, and a report of runs/ replaces a committed one only when --take-runs names it."""

import shutil
import subprocess
import sys
import time

import pytest
from conftest import ROOT

# What collect.py may write: the committed results, numbers.tex and the documents with generated tables.
WRITTEN = ["paper/results", "paper/numbers.tex", "README.md", "docs"]


def snapshot(root) -> dict:
    """{relative path: bytes} of everything collect.py may write under root."""
    files = {}
    for name in WRITTEN:
        path = root / name
        for f in ([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())):
            files[str(f.relative_to(root))] = f.read_bytes()
    return files


def collect(root, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "paper" / "collect.py"), *args], cwd=root,
                          capture_output=True, text=True, timeout=600)


def test_help_is_fast_and_writes_nothing():
    before = snapshot(ROOT)
    start = time.perf_counter()
    result = collect(ROOT, "--help")
    took = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert "--take-runs" in result.stdout and "--dry-run" in result.stdout
    assert took < 5, f"--help took {took:.1f} s: parse the arguments before the heavy imports"
    assert snapshot(ROOT) == before


@pytest.fixture()
def clone(tmp_path):
    """What collect.py needs of the repository, in a scratch folder, with a fresh demo report in runs/
    whose numbers differ from the committed ones (a student's own Quickstart)."""
    for name in ["common.py", "01_extract_faces.py", "paper/collect.py", "weights", *WRITTEN]:
        source, target = ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    runs = tmp_path / "runs" / "report"
    runs.mkdir(parents=True)
    for f in ("results.csv", "by_method.csv", "by_family.csv", "results.tex", "by_method.tex", "by_family.tex"):
        shutil.copy(ROOT / "paper" / "results" / "demo" / f, runs / f)
    text = (runs / "results.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    head, first = lines[0].split(","), lines[1].split(",")
    first[head.index("auc")] = "0.123456"  # a number the committed report does not have
    (runs / "results.csv").write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    return tmp_path


def test_runs_replace_committed_results_only_when_asked(clone):
    committed = snapshot(clone)
    demo = {k: v for k, v in committed.items() if k.startswith("paper/results/demo/")}
    kept = collect(clone)  # a plain run: the committed reports stay, the fresh one is pointed at
    assert kept.returncode == 0, kept.stderr
    assert "--take-runs demo" in kept.stdout
    assert {k: v for k, v in snapshot(clone).items() if k.startswith("paper/results/demo/")} == demo
    for path, content in committed.items():  # rewrite the clone as committed (the plain run may refresh tables)
        (clone / path).write_bytes(content)

    dry = collect(clone, "--dry-run", "--take-runs", "demo")
    assert dry.returncode == 0, dry.stderr
    assert "paper/results/demo/results.csv" in dry.stdout and "would be added or changed" in dry.stdout
    assert snapshot(clone) == committed

    taken = collect(clone, "--take-runs", "demo")
    assert taken.returncode == 0, taken.stderr
    assert "0.123456" in (clone / "paper" / "results" / "demo" / "results.csv").read_text(encoding="utf-8")
    assert snapshot(clone)["paper/results/real/results.csv"] == committed["paper/results/real/results.csv"]


def test_take_runs_names_a_report_that_exists(clone):
    result = collect(clone, "--take-runs", "demoo")
    assert result.returncode != 0 and "no report named demoo" in result.stderr
    result = collect(clone, "--take-runs", "real")
    assert result.returncode != 0 and "runs/report_real/results.csv not found" in result.stderr


def test_constant_scores_are_flagged_not_meaningful(tmp_path):
    sys.path.insert(0, str(ROOT / "paper"))
    import collect

    import common

    assert common.constant_scores([0.4962, 0.4971, 0.4966]) and not common.constant_scores([0.2, 0.8, 0.5])
    shutil.copytree(ROOT / "paper" / "results" / "demo", tmp_path / "demo")
    rows = common.read_csv(tmp_path / "demo" / "predictions_video.csv")
    for i, r in enumerate(rows):  # the CNN-LSTM made constant too: one score for every video
        if r["model"] == "cnn_lstm":
            r["prob"] = str(0.61 + 0.0001 * (i % 3))
    common.write_csv(tmp_path / "demo" / "predictions_video.csv", rows, list(rows[0]))
    assert collect.constant_models(tmp_path / "demo") >= {"cnn_lstm"}
    table = collect.demo_markdown(tmp_path / "demo")
    lstm = next(line for line in table.splitlines() if line.startswith("| CNN-LSTM"))
    c3d = next(line for line in table.splitlines() if line.startswith("| C3D"))
    assert lstm.count("(n/m)") == 3 and "(n/m)" not in c3d and "not meaningful" in table
    assert "accuracy at 0.5" in table and "accuracy at the val. threshold" in table and "(threshold 0." in c3d
    tex = collect.scores_table(common.read_csv(tmp_path / "demo" / "results.csv"), {"cnn_lstm"})
    assert tex.count(r"$^\dagger$") == 3 and "at the validation threshold" in tex  # two cells and the note


def test_the_slides_show_05s_own_output_on_a_video():
    """The slides' verdicts are files written by 05 --video (paper/README.md gives the command), never typed."""
    import re

    shown = re.findall(r"\\VerbatimInput\[[^\]]*\]\{\\res/([^}]+)\}", (ROOT / "slides" / "slides.tex").read_text())
    assert len(shown) == 2
    for name in shown:
        text = (ROOT / "paper" / "results" / name).read_text(encoding="utf-8")
        assert text.count("VERDICT on ") == 1 and "caution:" in text and "P(fake) = " in text
        # The shipped weights learned from every shared video: a verdict on one of them must say so,
        # and so must the slide that shows it.
        if "learned from this very video" in text:
            assert "learned from every shared video" in (ROOT / "slides" / "slides.tex").read_text()
