"""The paper and the slides quote only measured numbers: their tables and numbers.tex are exactly
what the committed results files give, the architecture tables are what the runs' config.json
builds, every citation is in the bibliography, and their text types no number of ours by hand."""

import importlib.util
import json
import re
import sys

import numpy as np
import pytest
from conftest import ROOT, SHARED

import common

sys.path.insert(0, str(ROOT / "paper"))
import collect  # noqa: E402  (paper/collect.py)

spec = importlib.util.spec_from_file_location("evaluate", ROOT / "05_evaluate.py")
evaluate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(evaluate)

RESULTS = ROOT / "paper" / "results"
# 05's reports; the footage-cue floor's (collect.CUE_REPORTS) have a table of their own (test_transfer_shared_*)
REPORTS = sorted(p for p in RESULTS.glob("*") if (p / "results.csv").is_file() and p.name not in collect.CUE_REPORTS.values())
CUE_REPORTS = sorted(RESULTS / name for name in collect.CUE_REPORTS.values() if (RESULTS / name / "results.csv").is_file())
WITH_CONFIGS = [p for p in REPORTS if (p / "configs" / "runs.csv").is_file()]
WITH_PREDICTIONS = [p for p in REPORTS if (p / "predictions_video.csv").is_file()]
DOCUMENTS = ["paper/paper.tex", "slides/slides.tex"]
NOTES = SHARED / "notes" / "learning-from-real-faces.md"


def text_of(document: str) -> str:
    """The document without its comments."""
    return re.sub(r"(?<!\\)%.*", "", (ROOT / document).read_text(encoding="utf-8"))


def table_rows(tex: str) -> list[list[str]]:
    """The body rows of a generated tabular, split into cells (nested cell tabulars kept whole)."""
    rows = []
    for line in tex.splitlines():
        if not line.endswith(r"\\") or line.startswith((r"\multicolumn", r"\toprule", r"\midrule")):
            continue
        rows.append([c.strip() for c in re.split(r"(?<!\\)&", line[:-2])])
    return rows


def first_number(cell: str) -> str:
    """'0.47' of '0.47', of '\\begin{tabular}...0.47\\\\[-1pt]\\ci{[0.35, 0.61]}...', or '--'."""
    found = re.search(r"(?<![\d.\[])(\d+\.\d+|--)", cell)
    return found.group(1) if found else cell


def interval_of(cell: str) -> tuple[str, str] | None:
    found = re.search(r"\[(\d\.\d\d|--), (\d\.\d\d|--)\]", cell)
    return (found.group(1), found.group(2)) if found else None


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
    assert (report / "scores.tex").read_text(encoding="utf-8") == collect.scores_table(results, collect.constant_models(report))
    assert (report / "methods.tex").read_text(encoding="utf-8") == collect.subset_table(by_method, "method", "method")
    if by_family:
        assert (report / "families.tex").read_text(encoding="utf-8") == collect.subset_table(by_family, "family", "family")


@pytest.mark.parametrize("report", REPORTS, ids=lambda p: p.name)
def test_scores_table_has_accuracy_f1_mse_and_auc_from_results_csv(report):
    """The paper's score tables: AUC, accuracy, F1 and MSE columns, each cell the results file's
    number, with its interval wherever the file has one (older files: AUC only)."""
    tex = (report / "scores.tex").read_text(encoding="utf-8")
    header, *rows = table_rows(tex)
    columns = dict(zip([c for c, _ in collect.SCORE_TABLE], header[2:]))
    assert {"auc", "mse"} <= set(columns) and any(c.startswith("accuracy") for c in columns) \
        and any(c.startswith("f1") for c in columns), header
    video = [r for r in collect.read_csv(report / "results.csv") if r["level"] == "video"]
    assert len(rows) == len(video)
    for row, cells in zip(video, rows):
        assert cells[0] == collect.tex_name(row["model"])
        assert cells[1] == f"{row['n_real']}/{row['n_fake']}"
        for (score, _), cell in zip(collect.SCORE_TABLE, cells[2:]):
            assert first_number(cell) == collect.two(row[score]), (row["model"], score, cell)
            low, high = row.get(f"{score}_ci_low", ""), row.get(f"{score}_ci_high", "")
            if low and high and low.lower() != "nan":
                assert interval_of(cell) == (collect.two(low), collect.two(high)), (row["model"], score, cell)
            else:
                assert interval_of(cell) is None


def test_the_paper_shows_the_score_tables():
    shown = re.findall(r"\\input\{\\res/([\w-]+)/scores\.tex\}", text_of("paper/paper.tex"))
    assert shown and all((RESULTS / name / "results.csv").is_file() for name in shown)


def test_numbers_tex_is_the_results_files():
    assert (ROOT / "paper" / "numbers.tex").read_text(encoding="utf-8") == collect.numbers_tex()


@pytest.mark.parametrize("report", WITH_CONFIGS, ids=lambda p: p.name)
def test_architecture_tables_are_the_configs_models(report):
    """Every number of the architecture and training tables is the run's config.json, the model
    it builds (count_parameters, count_flops) or the shapes a clip takes through it."""
    configs = collect.read_configs(report)
    assert configs
    runs = {r["model"]: r for r in collect.read_csv(report / "configs" / "runs.csv")}
    for model, config in configs.items():
        tex = (report / f"architecture_{model}.tex").read_text(encoding="utf-8")
        if collect.retired(config):  # common.py no longer builds it: its committed table, its recorded size
            params, flops = collect.model_size(config)
        else:
            assert tex == collect.architecture_table(config, model)
            built = common.build_model(config)
            params, flops = common.count_parameters(built), common.count_flops(built, collect.input_shape(config))
        header, *rows = table_rows(tex)
        assert header == ["layer", "output", "params", "MFLOPs"]
        *layers, total = rows
        assert total[0] == "total" and total[2] == collect.thousands(params) and total[3] == f"{flops / 1e6:.1f}"
        assert layers[0][0].startswith("input") and layers[0][1] == f"${collect.times(collect.input_shape(config))}$"
        side = config.get("input_size") or config["face_settings"]["size"]
        expected = (config["clip_len"], collect.LANDMARK_DIM) if config.get("input") == "landmarks" else \
            (config["clip_len"], 3, side, side)
        assert collect.input_shape(config) == expected
        assert sum(int(r[2].replace("{,}", "")) for r in layers[1:]) == params
        # A copied config is the run's own file; a derived one says what it was derived from.
        if runs[model]["derived"]:
            assert config["derived_from"] == runs[model]["derived"]
        else:
            first_run = ROOT / runs[model]["run"].split("; ")[0] / "config.json"
            if first_run.is_file():
                assert config == json.loads(first_run.read_text(encoding="utf-8"))
    training = (report / "training.tex").read_text(encoding="utf-8")
    assert training == collect.training_table(configs)
    header, *rows = table_rows(training)
    names = list(configs)
    settings = {}
    for cells in rows:  # a value said once for every model spans their columns
        span = re.fullmatch(r"\\multicolumn\{(\d+)\}\{c\}\{(.*)\}", cells[1])
        settings[cells[0]] = [span.group(2)] * int(span.group(1)) if span else cells[1:]
    for i, name in enumerate(names):
        c = configs[name]
        assert settings["epochs"][i] == str(c["epochs"])
        assert settings["batch"][i] == str(c["batch_size"])
        assert settings["peak learning rate"][i] == collect.number_text(c["lr"])
        assert float(settings["peak learning rate"][i]) == c["lr"]
        assert float(settings["weight decay"][i]) == c["weight_decay"]
        assert settings["schedule"][i] == c["schedule"]
        assert settings["clip"][i].startswith(f"{c['clip_len']} frames")
        assert settings["seed"][i] == str(c["seed"])


def test_layer_rows_follow_the_model():
    """The rows come from the model itself (hooks on a dummy clip), not from a list typed by hand:
    a wider C3D gets wider rows, a longer clip longer outputs."""
    config = json.loads((ROOT / "weights" / "c3d" / "config.json").read_text(encoding="utf-8"))
    wide = {**config, "width": 8, "clip_len": 8, "input_size": 32}
    rows = collect.layer_rows(common.build_model(wide), collect.input_shape(wide))
    assert [r["shape"] for r in rows[:2]] == [(8, 8, 16, 16), (4, 16, 8, 8)]
    assert sum(r["params"] for r in rows) == common.count_parameters(common.build_model(wide))


@pytest.mark.parametrize("report", WITH_PREDICTIONS, ids=lambda p: p.name)
def test_roc_figure_data_are_the_results(report):
    """The predictions the ROC figure is drawn from give the AUC of results.csv."""
    rows = collect.read_csv(report / "predictions_video.csv")
    results = {r["model"]: r for r in collect.read_csv(report / "results.csv") if r["level"] == "video"}
    for model in {r["model"] for r in rows}:
        y = [int(r["label"]) for r in rows if r["model"] == model]
        p = [float(r["prob"]) for r in rows if r["model"] == model]
        assert collect.two(common.rank_auc(np.array(y), np.array(p))) == collect.two(results[model]["auc"])
    assert (report / "roc.png").is_file()


@pytest.mark.parametrize("report", [p for p in REPORTS if (p / "counts.csv").is_file()], ids=lambda p: p.name)
def test_counts_are_the_test_material(report):
    """counts.csv (kept for clones without the test material) is what the material's notes give."""
    spec_ = collect.REPORTS.get(report.name)
    recomputed = collect.tested_counts(spec_) if spec_ else []
    if not recomputed:
        pytest.skip(f"the test material of {report.name} is not here ({SHARED}); the committed counts stand")
    assert [{k: str(v) for k, v in r.items()} for r in recomputed] == collect.read_csv(report / "counts.csv")


def test_generators_are_counted_honestly():
    labels = ["wav2lip", "wav2lip+gfpgan", "wav2lip-hq", "unknown_generated", "emo"]
    assert collect.generators(labels) == {"wav2lip", "emo"}


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_number_of_ours_is_typed_by_hand(document):
    """Our results are 0.xx numbers (AUC, EER, accuracy): in the text they must be macros of
    numbers.tex. Numbers of other papers are percentages (93.8) and stay as they are."""
    text = text_of(document)
    text = re.sub(r"[01]\.\d\d\s*(\\linewidth|\\textwidth|\\textheight|\\columnwidth|cm|em)", "", text)  # lengths of the layout
    typed = re.findall(r"(?<![\d.])[01]\.\d\d(?!\d)", text)
    assert typed == [], f"{document} types these numbers by hand: {typed}; use the macros of paper/numbers.tex"
    used = set(re.findall(r"\\([A-Z][A-Za-z]+)", text))
    defined = set(re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", (ROOT / "paper" / "numbers.tex").read_text()))
    suffixes = tuple(s + end for s in collect.SCORE_MACROS.values() for end in ("", "Low", "High")) + (
        "Params", "Kparams", "Mflops", "TestVideos", "TestReal", "TestFake", "Methods", "Generators", "NonPhoto",
        "SourceReal", "SourcePeople", "TrainClips", "ValClips", "ValRealClips")
    quoted = {m for m in used if m.endswith(suffixes)}
    assert quoted <= defined, f"{document} quotes numbers that no results file has: {sorted(quoted - defined)}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_count_is_typed_by_hand(document):
    """Counts of our videos, clips, people, generators, parameters: macros, never typed
    ('54 training videos' was typed once and matched no file)."""
    text = text_of(document)
    typed = re.findall(r"(?<![\\\w.{])\d[\d,{}]*\s*(?:\\,)?\s*(?:k\s+)?(?:(?:real|fake|genuine|held-out|training|test|"
                       r"distinct|talking-face)\s+)*(?:videos?|clips?|people|persons|generators|fakes|parameters|params|"
                       r"MFLOPs|epochs|frames)\b", text)
    assert typed == [], f"{document} types these counts by hand: {typed}; use the macros of paper/numbers.tex"


def cited_keys(document: str) -> set[str]:
    return {k.strip() for group in re.findall(r"\\(?:no)?cite[tp]?\*?(?:\[[^\]]*\])?\{([^}]*)\}", text_of(document))
            for k in group.split(",")}


def test_every_citation_is_in_the_bibliography_and_every_entry_is_cited():
    bib = set(re.findall(r"@\w+\{([^,\s]+),", (ROOT / "paper" / "references.bib").read_text(encoding="utf-8")))
    paper = cited_keys("paper/paper.tex")
    assert paper - bib == set(), f"cited but not in references.bib: {sorted(paper - bib)}"
    assert bib - paper == set(), f"in references.bib but never cited by the paper: {sorted(bib - paper)}"
    slides = cited_keys("slides/slides.tex")
    assert slides and slides <= bib, f"the slides cite what references.bib lacks: {sorted(slides - bib)}"


def test_others_results_are_the_authors_figures():
    """Every figure of the others' table is one the notes quote from the authors' code or paper."""
    if not NOTES.is_file():
        pytest.skip(f"{NOTES} is not here")
    text = (ROOT / "paper" / "paper.tex").read_text(encoding="utf-8")
    table = text[text.index("% BEGIN others"):text.index("% END others")]
    assert "as reported by the authors (AUC \\%, their data and protocol;" in table
    notes = NOTES.read_text(encoding="utf-8")
    body = table[table.index(r"\midrule"):table.index(r"\bottomrule")]
    body = re.sub(r"\\cite\{[^}]*\}|R\(2\+1\)D|c23|LRS2/LRS3|FF\+\+|I3D|R3D|MC3|Meso4|v2", "", body)
    figures = re.findall(r"\d+\.\d+", body)
    assert len(figures) >= 20
    missing = [f for f in figures if f not in notes and f"{float(f) / 100:.3f}" not in notes]
    assert missing == [], f"not in the notes as the authors' figures: {missing}"


@pytest.mark.parametrize("pdf", ["paper/paper.pdf", "slides/slides.pdf"])
def test_the_built_pdfs_are_committed(pdf):
    assert (ROOT / pdf).is_file() and (ROOT / pdf).stat().st_size > 50_000


def test_collect_without_runs_keeps_the_committed_results(tmp_path, monkeypatch):
    """On a fresh clone (no runs/), collect.py must leave every committed result as it is: a kept
    report keeps its committed configs rather than describing whatever weights/ holds now."""
    import filecmp
    import shutil

    shutil.copytree(RESULTS, tmp_path / "paper" / "results")
    shutil.copytree(ROOT / "weights", tmp_path / "weights")
    (tmp_path / "benchmarks").mkdir()  # the manifest of the estimates over all shared material
    shutil.copy(ROOT / "benchmarks" / "shared_videos.csv", tmp_path / "benchmarks")
    for script in ROOT.glob("*.py"):  # collect.py reads the scripts' defaults
        (tmp_path / script.name).symlink_to(script)
    monkeypatch.setattr(collect, "ROOT", tmp_path)
    monkeypatch.setattr(collect, "RESULTS", tmp_path / "paper" / "results")
    collect.main()
    changed = [str(p.relative_to(tmp_path / "paper" / "results")) for p in (tmp_path / "paper" / "results").rglob("*")
               if p.is_file() and not filecmp.cmp(p, RESULTS / p.relative_to(tmp_path / "paper" / "results"), shallow=False)]
    assert not changed, f"collect.py without runs/ rewrote {changed}"
    assert (tmp_path / "paper" / "numbers.tex").read_text(encoding="utf-8") == \
        (ROOT / "paper" / "numbers.tex").read_text(encoding="utf-8")


def test_the_docs_transfer_tables_are_the_committed_reports():
    rows = collect.transfer_rows()
    assert (RESULTS / "transfer.tex").read_text(encoding="utf-8") == collect.transfer_tex(rows)
    for doc in collect.DOC_FILES:
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert collect.fill_doc_tables(text, rows) == text, f"{doc}: run python paper/collect.py"


@pytest.mark.parametrize("report", CUE_REPORTS, ids=lambda p: p.name)
def test_the_footage_cue_floor_is_its_predictions(report):
    """benchmarks/footage_cues.py's (and motion_cues.py's) AUC of each classifier is the AUC of its committed seed-averaged
    predictions, and its seeds' AUCs are what by_seed.csv holds."""
    predictions = collect.read_csv(report / "predictions_video.csv")
    seeds = collect.read_csv(report / "by_seed.csv")
    for row in collect.read_csv(report / "results.csv"):
        mine = [p for p in predictions if p["model"] == row["model"].replace(" ", "_").replace(",", "").replace("+", "and")]
        y, p = np.array([int(m["label"]) for m in mine]), np.array([float(m["prob"]) for m in mine])
        assert len(mine) == int(row["n"]) and abs(common.rank_auc(y, p) - float(row["auc"])) < 1e-3
        aucs = [float(s["auc"]) for s in seeds if s["model"] == row["model"]]
        assert len(aucs) == int(row["seeds"]) and abs(np.mean(aucs) - float(row["auc_seed_mean"])) < 1e-3


def test_the_shared_transfer_table_is_the_committed_reports():
    rows = collect.transfer_rows()
    assert (RESULTS / "transfer_shared.tex").read_text(encoding="utf-8") == collect.shared_tex(rows)
    shared = collect.shared_rows(rows)
    assert shared and all(r["tested"] != collect.TESTED[""] for r in shared)
    assert any(r["model"].startswith("footage cues") for r in shared), "the floor stands beside every model"
