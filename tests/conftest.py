"""Shared fixtures: a tiny demo dataset pushed through the scripts once per test session.

The scripts are run as a user runs them (python NN_script.py ..., via subprocess, in a scratch
folder so their default paths data/ and runs/ are used), the way CleanRL tests its scripts.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
YUNET = SHARED / "models" / "face_detection_yunet_2023mar.onnx"
REAL_CLIPS = SHARED / "data" / "real_talking_faces"

sys.path.insert(0, str(ROOT))

# A small demo: 8 people x (1 real + 4 fakes), 40 frames each; 1 epoch per model.
TINY_DEMO = ["--identities", "8", "--frames", "40"]
TINY_CLIPS = ["--clip-len", "8", "--stride", "8"]
TINY_TRAIN = ["--epochs", "1", "--batch-size", "8"]


def run_script(script: str, *args, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run one of the numbered scripts; on failure show what it printed."""
    result = subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=cwd,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        pytest.fail(f"{script} {' '.join(map(str, args))} exited {result.returncode}\n"
                    f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory) -> Path:
    """A scratch folder in which 01 -> 05 ran on a tiny demo set (with default paths)."""
    work = tmp_path_factory.mktemp("pipeline")
    run_script("01_extract_faces.py", "--demo", *TINY_DEMO, cwd=work)
    run_script("02_make_clips.py", *TINY_CLIPS, cwd=work)
    run_script("03_train_cnn_lstm.py", *TINY_TRAIN, cwd=work)
    run_script("03_train_cnn_lstm.py", *TINY_TRAIN, "--temporal", "mean", "--out", "runs/frame_baseline", cwd=work)
    run_script("04_train_3dcnn.py", *TINY_TRAIN, cwd=work)
    run_script("05_evaluate.py", cwd=work)
    return work


def needs_shared(path: Path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent (test material of the project's "
                                                         "shared folder, not shipped with the repository)")
