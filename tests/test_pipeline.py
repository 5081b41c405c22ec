"""The five scripts end to end on a tiny demo set, and the files each one promises."""

import csv

import numpy as np
import pytest
from conftest import REAL_CLIPS, TINY_TRAIN, needs_shared, run_script

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
        assert float(r["face_rate"]) > 0.6  # one miss in a handful of detections is tolerable
    # The demo faces must be found by the default detector (any OpenCV 4.x).
    assert np.mean([float(r["face_rate"]) for r in index]) > 0.9


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
    assert {"balanced_accuracy", "ap", "eer", "apcer", "bpcer", "acer", "threshold_val", "acer_val",
            "auc_ci_low", "auc_ci_high", "accuracy_ci_low", "accuracy_ci_high"} <= set(results[0])
    assert {(r["model"], r["level"]) for r in results} == {
        (m, lvl) for m in ("c3d", "cnn_lstm", "frame_baseline") for lvl in ("clip", "video")}
    for name in ("roc_clip.png", "roc_video.png", "confusion_video.png", "scores_video.png", "training_curves.png",
                 "report.md", "predictions_c3d.csv", "by_method.csv"):
        assert (report / name).stat().st_size > 0
    for r in results:  # the metrics in results.csv are those of the predictions file
        preds = [p for p in read(report / f"predictions_{r['model']}.csv") if p["level"] == r["level"]]
        y, p = np.array([int(x["label"]) for x in preds]), np.array([float(x["prob"]) for x in preds])
        m = common.binary_metrics(y, p)
        assert float(r["auc"]) == pytest.approx(m["auc"], abs=1e-4)
        assert float(r["acer"]) == pytest.approx(m["acer"], abs=1e-4)
        assert int(r["n_real"]) + int(r["n_fake"]) == int(r["n"]) == len(preds)
        if r["level"] == "video":
            assert float(r["auc_ci_low"]) <= float(r["auc"]) <= float(r["auc_ci_high"])
    methods = {(r["model"], r["method"]) for r in read(report / "by_method.csv") if r["level"] == "video"}
    test_methods = {c["method"] for c in read(pipeline / "data/clips/clips.csv") if c["split"] == "test"} - {"real"}
    assert methods == {(m, meth) for m in ("c3d", "cnn_lstm", "frame_baseline") for meth in test_methods}
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


def probabilities(stdout: str) -> dict[str, float]:
    """{model: P(fake)} from the output of 05_evaluate.py --video."""
    return {line.split(":")[0].strip(): float(line.split("P(fake) =")[1].split()[0])
            for line in stdout.splitlines() if "P(fake) =" in line}


def test_evaluate_judges_a_single_video(pipeline):
    out = run_script("05_evaluate.py", "--video", "data/videos/fake/LipSync/id000.mp4", "--save-plot", "timeline.png",
                     "--timeline", cwd=pipeline).stdout
    probs = probabilities(out)
    assert set(probs) == {"c3d", "cnn_lstm", "frame_baseline"} and all(0 <= p <= 1 for p in probs.values())
    assert "chosen on validation" in out and " s  " in out  # verdict threshold and per-clip timeline
    assert (pipeline / "timeline.png").stat().st_size > 0
    assert out.count("VERDICT on id000.mp4: ") == 1 and "mean P(fake) of the 3 models" in out
    split = {r["video_id"]: r["split"] for r in read(pipeline / "data/clips/clips.csv")}["fake__LipSync__id000"]
    assert ("learned from this very video" in out) == (split in ("train", "val"))  # by its content, in clips.csv
    index = {r["video_id"]: r["path"] for r in read(pipeline / "data/faces/index.csv")}
    for wanted in ("train", "test"):
        video = next(index[r["video_id"]] for r in read(pipeline / "data/clips/clips.csv") if r["split"] == wanted)
        out = run_script("05_evaluate.py", "--video", video, "--runs", "runs/c3d", cwd=pipeline).stdout
        assert ("c3d learned from this very video" in out) == (wanted == "train"), (wanted, out)


@needs_shared(REAL_CLIPS)
def test_evaluate_judges_a_real_talking_head_clip(pipeline):
    clip = sorted((REAL_CLIPS / "mead").glob("*.mp4"))[0]
    probs = probabilities(run_script("05_evaluate.py", "--video", clip, cwd=pipeline).stdout)
    assert set(probs) == {"c3d", "cnn_lstm", "frame_baseline"} and all(0 <= p <= 1 for p in probs.values())


def test_evaluate_explains_a_video_without_a_face(pipeline, tmp_path):
    rng = np.random.default_rng(0)
    common.write_video(tmp_path / "clouds.mp4", [rng.integers(90, 110, (96, 96, 3), dtype=np.uint8) for _ in range(30)], 25)
    result = run_script("05_evaluate.py", "--video", tmp_path / "clouds.mp4", cwd=pipeline, check=False)
    assert result.returncode != 0 and "fewer than one clip" in result.stderr and "Traceback" not in result.stderr
    result = run_script("05_evaluate.py", "--video", tmp_path / "missing.mp4", cwd=pipeline, check=False)
    assert result.returncode != 0 and "cannot read it as a video" in result.stderr


def test_one_class_or_empty_test_split_is_explained(pipeline, tmp_path):
    clips = read(pipeline / "data/clips/clips.csv")
    fields = list(clips[0])
    only_fakes = [c for c in clips if c["split"] != "test" or c["label"] == "1"]
    common.write_csv(tmp_path / "fakes/clips.csv", only_fakes, fields)
    common.write_json(tmp_path / "fakes/settings.json", {"faces": str(pipeline / "data/faces")})
    result = run_script("05_evaluate.py", "--runs", "runs/c3d", "--clips", tmp_path / "fakes", "--out", tmp_path / "r",
                        cwd=pipeline)
    assert "holds only fake" in result.stdout and "undefined" in result.stdout
    assert read(tmp_path / "r/results.csv")[0]["auc"] == "nan"
    no_test = [c for c in clips if c["split"] != "test"]
    common.write_csv(tmp_path / "none/clips.csv", no_test, fields)
    common.write_json(tmp_path / "none/settings.json", {"faces": str(pipeline / "data/faces")})
    result = run_script("05_evaluate.py", "--runs", "runs/c3d", "--clips", tmp_path / "none", "--out", tmp_path / "r2",
                        cwd=pipeline, check=False)
    assert result.returncode != 0 and "has no test clips" in result.stderr and "Traceback" not in result.stderr


def test_perturbed_evaluation_changes_the_scores(pipeline, tmp_path):
    run_script("05_evaluate.py", "--runs", "runs/c3d", "--perturb", "jpeg:10,noise:10", "--out", tmp_path / "p",
               cwd=pipeline)
    clean = {p["id"]: p["prob"] for p in read(pipeline / "runs/report/predictions_c3d.csv")}
    noisy = {p["id"]: p["prob"] for p in read(tmp_path / "p/predictions_c3d.csv")}
    assert clean.keys() == noisy.keys() and clean != noisy
    assert {r["perturb"] for r in read(tmp_path / "p/results.csv")} == {"jpeg:10,noise:10"}
    result = run_script("05_evaluate.py", "--perturb", "jpeg:500", cwd=pipeline, check=False)
    assert result.returncode != 0 and "bad perturbation" in result.stderr


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
