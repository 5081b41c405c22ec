"""The Colab notebook runs end to end here, on a tiny budget (its Colab-only cells are guarded by
IN_COLAB, and NOTEBOOK_TINY=1 shrinks the demo and the epochs)."""

import json
import os
import subprocess
import sys

from conftest import ROOT


def test_the_notebook_runs_on_a_tiny_budget(tmp_path):
    notebook = json.loads((ROOT / "notebooks" / "deepfake_dynamics.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert not any(c["outputs"] for c in notebook["cells"] if c["cell_type"] == "code"), "commit the notebook without outputs"
    script = tmp_path / "notebook.py"
    script.write_text("\n\n".join(cells), encoding="utf-8")
    env = {**os.environ, "NOTEBOOK_TINY": "1", "NOTEBOOK_WORKDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1500)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert "GPU:" in result.stdout and "P(fake)" in result.stdout
    for path in ("runs/report/report.md", "runs/report/id000_timeline.png", "runs/report_mine_pseudo/by_method.csv",
                 "runs/report_myfakes/results.csv"):
        assert (tmp_path / path).is_file(), path
    assert not (ROOT / "runs" / "mine").exists()  # everything went to NOTEBOOK_WORKDIR
