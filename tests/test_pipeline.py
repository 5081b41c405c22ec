"""The five scripts end to end on a tiny demo set, and the files each one promises."""

import csv

import numpy as np
import pytest
from conftest import TINY_TRAIN, run_script

import common


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_extract_writes_the_data_contract(pipeline):
    index = read(pipeline / "data/faces/index.csv")
    assert len(index) == 8 * 5
    assert [c for c in common.INDEX_FIELDS if c not in index[0]] == []
    assert {r["status"] for r in index} == {"ok"}
    assert {r["method"] for r in index} == {"real", *common.DEMO_METHODS}
    for r in index:
        assert r["label"] == ("0" if r["method"] == "real" else "1")
        assert r["group"] == r["path"].rsplit("/", 1)[-1].removesuffix(".mp4")  # fakes share their real's group
        crops = np.load(pipeline / f"data/faces/{r['video_id']}.npy", mmap_mode="r")
        meta = np.load(pipeline / f"data/faces/{r['video_id']}.meta.npz")
        assert crops.dtype == np.uint8 and crops.shape[1:] == (32, 32, 3)
        assert len(crops) == len(meta["frame_idx"]) == len(meta["boxes"]) == int(r["kept"])
        assert float(r["face_rate"]) > 0.9  # the demo faces must be found by the default detector


def test_clips_never_share_a_group_across_splits(pipeline):
    clips = read(pipeline / "data/clips/clips.csv")
    split_of = {}
    for c in clips:
        assert split_of.setdefault(c["group"], c["split"]) == c["split"], f"group {c['group']} in two splits"
    for split in ("train", "val", "test"):
        assert {c["label"] for c in clips if c["split"] == split} == {"0", "1"}
    for c in clips:
        assert int(c["length"]) == 8


def test_training_writes_one_metrics_row_per_epoch(pipeline):
    for run in ("cnn_lstm", "frame_baseline", "c3d"):
        rows = read(pipeline / f"runs/{run}/metrics.csv")
        assert list(rows[0]) == common.METRICS_FIELDS
        assert [r["epoch"] for r in rows] == ["1"]
        assert (pipeline / f"runs/{run}/best.pt").is_file() and (pipeline / f"runs/{run}/config.json").is_file()
    assert common.read_json(pipeline / "runs/frame_baseline/config.json")["input"] == "rgb"
    assert common.read_json(pipeline / "runs/cnn_lstm/config.json")["input"] == "diff"


def test_evaluate_reports_every_model_at_both_levels(pipeline):
    report = pipeline / "runs/report"
    results = read(report / "results.csv")
    assert {"model", "level", "accuracy", "precision", "recall", "f1", "auc", "mse"} <= set(results[0])
    assert {(r["model"], r["level"]) for r in results} == {
        (m, lvl) for m in ("c3d", "cnn_lstm", "frame_baseline") for lvl in ("clip", "video")}
    for name in ("roc_clip.png", "roc_video.png", "training_curves.png", "report.md", "predictions_c3d.csv"):
        assert (report / name).stat().st_size > 0
    # The video-level scores in results.csv are those of the mean of each video's clip scores.
    preds = read(report / "predictions_c3d.csv")
    clips = [p for p in preds if p["level"] == "clip"]
    videos = [p for p in preds if p["level"] == "video"]
    for v in videos:
        mine = [float(c["prob"]) for c in clips if c["video_id"] == v["id"]]
        assert float(v["prob"]) == pytest.approx(np.mean(mine), abs=1e-5)
    test_videos = {c["video_id"] for c in read(pipeline / "data/clips/clips.csv") if c["split"] == "test"}
    assert {v["id"] for v in videos} == test_videos
    assert "| c3d |" in (report / "report.md").read_text()


def test_evaluate_judges_a_single_video(pipeline):
    out = run_script("05_evaluate.py", "--video", "data/videos/fake/LipSync/id000.mp4", cwd=pipeline).stdout
    for run in ("c3d", "cnn_lstm", "frame_baseline"):
        line = next(l for l in out.splitlines() if l.strip().startswith(run))
        p = float(line.split("P(fake) =")[1].split()[0])
        assert 0.0 <= p <= 1.0


def test_same_seed_same_results(pipeline, tmp_path):
    """Two runs with one seed give identical training metrics and results (timings aside)."""
    again_dir = tmp_path / "again"
    run_script("03_train_cnn_lstm.py", *TINY_TRAIN, "--out", again_dir, cwd=pipeline)
    first = read(pipeline / "runs/cnn_lstm/metrics.csv")
    again = read(again_dir / "metrics.csv")
    for row in first + again:
        row.pop("seconds")
    assert first == again
    run_script("05_evaluate.py", "--runs", "runs/cnn_lstm", "--out", str(tmp_path / "a"), cwd=pipeline)
    run_script("05_evaluate.py", "--runs", again_dir, "--out", str(tmp_path / "b"), cwd=pipeline)
    a, b = read(tmp_path / "a/results.csv"), read(tmp_path / "b/results.csv")
    for row in a + b:
        row.pop("model")
    assert a == b


def test_a_missing_stage_says_what_to_run(tmp_path):
    result = run_script("02_make_clips.py", cwd=tmp_path, check=False)
    assert result.returncode != 0 and "Run 01_extract_faces.py first" in result.stderr
    result = run_script("03_train_cnn_lstm.py", cwd=tmp_path, check=False)
    assert result.returncode != 0 and "Run 02_make_clips.py first" in result.stderr
    result = run_script("05_evaluate.py", cwd=tmp_path, check=False)
    assert result.returncode != 0 and "no trained model" in result.stderr


def test_help_works_for_every_script(tmp_path):
    for script in ("01_extract_faces.py", "02_make_clips.py", "03_train_cnn_lstm.py", "04_train_3dcnn.py", "05_evaluate.py"):
        assert "usage:" in run_script(script, "--help", cwd=tmp_path).stdout
