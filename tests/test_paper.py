"""The paper and the slides quote only measured numbers: their tables and numbers.tex are exactly
what the committed results files give, and their text types no number of ours by hand."""

import importlib.util
import re
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "paper"))
import collect  # noqa: E402  (paper/collect.py)

spec = importlib.util.spec_from_file_location("evaluate", ROOT / "05_evaluate.py")
evaluate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(evaluate)

REPORTS = sorted(p for p in (ROOT / "paper" / "results").glob("*") if (p / "results.csv").is_file())


def test_the_paper_has_results_to_report():
    assert {p.name for p in REPORTS} >= {"demo", "real", "real_pseudo", "ablation"}


@pytest.mark.parametrize("report", REPORTS, ids=lambda p: p.name)
def test_tables_are_the_results_files(report):
    results, by_method = collect.read_csv(report / "results.csv"), collect.read_csv(report / "by_method.csv")
    by_family = collect.read_csv(report / "by_family.csv") if (report / "by_family.csv").is_file() else []
    table, per_method, per_family = evaluate.latex_tables(results, by_method, by_family)
    assert (report / "results.tex").read_text(encoding="utf-8") == table
    assert (report / "by_method.tex").read_text(encoding="utf-8") == per_method
    if by_family:
        assert (report / "by_family.tex").read_text(encoding="utf-8") == per_family


def test_numbers_tex_is_the_results_files():
    assert (ROOT / "paper" / "numbers.tex").read_text(encoding="utf-8") == collect.numbers_tex()


@pytest.mark.parametrize("document", ["paper/paper.tex", "slides/slides.tex"])
def test_no_number_of_ours_is_typed_by_hand(document):
    """Our results are 0.xx numbers (AUC, EER, accuracy): in the text they must be macros of
    numbers.tex. Numbers of other papers are percentages (93.8) and stay as they are."""
    text = (ROOT / document).read_text(encoding="utf-8")
    text = re.sub(r"(?<!\\)%.*", "", text)  # comments
    text = re.sub(r"[01]\.\d\d\s*(\\linewidth|\\textwidth|cm|em)", "", text)  # lengths of the layout
    typed = re.findall(r"(?<![\d.])[01]\.\d\d(?!\d)", text)
    assert typed == [], f"{document} types these numbers by hand: {typed}; use the macros of paper/numbers.tex"
    used = set(re.findall(r"\\([A-Z][A-Za-z]+)", text))
    defined = set(re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", (ROOT / "paper" / "numbers.tex").read_text()))
    quoted = {m for m in used if m.endswith(("Auc", "AucLow", "AucHigh", "Eer", "BalAcc"))}
    assert quoted <= defined, f"{document} quotes numbers that no results file has: {sorted(quoted - defined)}"


@pytest.mark.parametrize("pdf", ["paper/paper.pdf", "slides/slides.pdf"])
def test_the_built_pdfs_are_committed(pdf):
    assert (ROOT / pdf).is_file() and (ROOT / pdf).stat().st_size > 50_000
