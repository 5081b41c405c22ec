"""The Colab notebook, run here as one script of its code cells (its Colab-only steps are guarded by
IN_COLAB, and NOTEBOOK_TINY=1 shrinks the demo and the epochs):
- with no copy of the code anywhere, its setup cell says what to do and the notebook stops cleanly;
- given the repository as a zip (as a student uploads it to Colab), it unpacks it and runs end to end."""

import csv
import json
import math
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "deepfake_dynamics.ipynb"
HOOKS = ("NOTEBOOK_REPO_ZIP", "NOTEBOOK_REPO_SOURCE", "NOTEBOOK_WORKDIR", "NOTEBOOK_TINY")  # the notebook's test hooks


def notebook_script(tmp_path):
    """The notebook's code cells, one after the other, as a script (the notebook must hold no outputs)."""
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert not any(c["outputs"] for c in code), "commit the notebook without outputs"
    script = tmp_path / "notebook.py"
    script.write_text("\n\n".join("".join(c["source"]) for c in code), encoding="utf-8")
    return script


def run_notebook(script, cwd, timeout, **hooks):
    """Run the script with only the hooks given set (none inherited from the caller's environment)."""
    env = {k: v for k, v in os.environ.items() if k not in HOOKS} | {k: str(v) for k, v in hooks.items()}
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def repository_zip(path):
    """A zip of the repository's tracked files, inside a top folder as GitHub's Download ZIP makes it
    (the working-tree versions, so that uncommitted changes are tested too)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot list the repository's files for a zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in listed.decode().split("\0"):
            if name and (ROOT / name).is_file():
                z.write(ROOT / name, f"deepfake-dynamics-main/{name}")
    return path


@pytest.mark.parametrize("where", ["no repository around", "NOTEBOOK_REPO_SOURCE=none"])
def test_without_the_code_the_notebook_says_what_to_do_and_stops(tmp_path, where):
    script = notebook_script(tmp_path)
    if where == "no repository around":  # run from a folder with no scripts in or above it
        cwd = tmp_path / "elsewhere"
        cwd.mkdir()
        result = run_notebook(script, cwd, timeout=120, NOTEBOOK_WORKDIR=tmp_path)
    else:  # from the repository itself, told to find nothing
        result = run_notebook(script, ROOT, timeout=120, NOTEBOOK_WORKDIR=tmp_path, NOTEBOOK_REPO_SOURCE="none")
    out = result.stdout + result.stderr
    assert result.returncode == 2, out  # the setup cell's documented status: stopped, nothing run
    assert "Traceback" not in out, out
    assert "code (the numbered scripts) was not found" in result.stdout
    for way in ("REPO_URL", "upload it to /content", "REPO_DRIVE"):  # the three ways, each said once
        assert result.stdout.count(way) == 1, result.stdout
    assert "GPU:" not in result.stdout  # it stopped in the setup cell
    assert not (tmp_path / "data").exists()


def test_the_notebook_runs_on_a_tiny_budget_from_a_zip_of_the_repository(tmp_path):
    script = notebook_script(tmp_path)
    code_zip = repository_zip(tmp_path / "deepfake-dynamics.zip")
    result = run_notebook(script, tmp_path, timeout=1500, NOTEBOOK_TINY=1, NOTEBOOK_WORKDIR=tmp_path,
                          NOTEBOOK_REPO_ZIP=code_zip)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert f"code: {tmp_path / 'deepfake-dynamics-code'} (from the zip {code_zip})" in result.stdout
    assert "GPU:" in result.stdout and "P(fake)" in result.stdout
    for path in ("runs/report/report.md", "runs/report/id000_timeline.png", "runs/report_mine_pseudo/by_method.csv",
                 "runs/report_myfakes/results.csv"):
        assert (tmp_path / path).is_file(), path
    # The genuine fakes were judged beside real videos of held-out people, so their AUC is defined.
    with open(tmp_path / "runs" / "report_myfakes" / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(int(r["n_real"]) > 0 and math.isfinite(float(r["auc"])) for r in rows), rows
    assert not (ROOT / "runs" / "mine").exists()  # everything went to NOTEBOOK_WORKDIR
