"""Bad videos get a status in index.csv and a one-line warning; the run goes on."""

import csv
import shutil

import cv2
import numpy as np
from conftest import TINY_TRAIN, run_script

import common


def test_corrupt_empty_and_faceless_videos_get_a_status(tmp_path):
    videos = tmp_path / "videos"
    # One good real and one good fake video, rendered by the demo generator.
    common.make_demo_identity(videos, 0, frames=24, size=128, fps=25, seed=0, methods=("FaceSwap",))
    (videos / "real" / "empty.mp4").write_bytes(b"")
    (videos / "real" / "not_a_video.mp4").write_text("this is a text file, not a video\n")
    rng = np.random.default_rng(0)
    noise = [cv2.GaussianBlur(rng.integers(0, 255, (128, 128, 3), dtype=np.uint8), (0, 0), 3) for _ in range(24)]
    common.write_video(videos / "fake" / "FaceSwap" / "no_face.mp4", noise, 25)

    result = run_script("01_extract_faces.py", "--videos", videos, "--out", tmp_path / "faces", cwd=tmp_path)
    with open(tmp_path / "faces" / "index.csv", newline="") as f:
        status = {r["video_id"]: r["status"] for r in csv.DictReader(f)}
    assert status == {"real__id000": "ok", "fake__FaceSwap__id000": "ok", "real__empty": "empty",
                      "real__not_a_video": "unreadable", "fake__FaceSwap__no_face": "no_face"}
    warnings = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3 and all("empty" in w or "not_a_video" in w or "no_face" in w for w in warnings)
    # Only the good videos have face arrays; nothing half-written is left behind.
    assert sorted(p.name for p in (tmp_path / "faces").glob("*.npy")) == ["fake__FaceSwap__id000.npy", "real__id000.npy"]
    assert not list((tmp_path / "faces").glob(".*partial*"))


def test_same_name_in_two_folders_gets_two_ids(tmp_path):
    videos = tmp_path / "videos"
    common.make_demo_identity(videos, 0, frames=12, size=128, fps=25, seed=0, methods=("LipSync", "Blink"))
    run_script("01_extract_faces.py", "--videos", videos, "--out", tmp_path / "faces", cwd=tmp_path)
    with open(tmp_path / "faces" / "index.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["video_id"] for r in rows) == ["fake__Blink__id000", "fake__LipSync__id000", "real__id000"]
    assert {r["group"] for r in rows} == {"id000"}


def test_no_videos_is_a_clear_error(tmp_path):
    (tmp_path / "videos").mkdir()
    result = run_script("01_extract_faces.py", "--videos", tmp_path / "videos", cwd=tmp_path, check=False)
    assert result.returncode != 0 and "no videos under" in result.stderr


def test_demo_refuses_to_overwrite_a_users_videos(tmp_path):
    videos = tmp_path / "videos"
    (videos / "real").mkdir(parents=True)
    (videos / "real" / "mine.mp4").write_bytes(b"precious")
    result = run_script("01_extract_faces.py", "--demo", "--videos", videos, cwd=tmp_path, check=False)
    assert result.returncode != 0 and "not a demo set" in result.stderr
    assert (videos / "real" / "mine.mp4").read_bytes() == b"precious"


# ---------------------------------------------------------------------------- a first hour's mistakes


def load_script(name: str):
    """A numbered script as a module (its functions, without running it)."""
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location(name.replace(".py", "").lstrip("0123456789_"), ROOT / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nothing_usable_extracted_is_an_error_without_a_next_hint(tmp_path):
    videos = tmp_path / "videos"
    (videos / "real").mkdir(parents=True)
    (videos / "real" / "a.mp4").write_text("not a video\n")
    (videos / "real" / "b.mp4").write_bytes(b"")
    result = run_script("01_extract_faces.py", "--videos", videos, "--out", tmp_path / "faces", cwd=tmp_path, check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "none of the 2 videos" in result.stderr and "1 unreadable" in result.stderr and "1 empty" in result.stderr
    assert "next:" not in result.stdout + result.stderr


def test_a_missing_run_folder_does_not_exist(tmp_path):
    result = run_script("05_evaluate.py", "--runs", tmp_path / "no_such_run", cwd=tmp_path, check=False)
    assert result.returncode != 0 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert "has no best.pt" not in result.stdout


def test_a_broken_video_gives_our_error_and_no_decoder_noise(tmp_path):
    common.make_demo_identity(tmp_path / "videos", 0, frames=24, size=128, fps=25, seed=0, methods=())
    whole = (tmp_path / "videos" / "real" / "id000.mp4").read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(whole[: len(whole) // 3])  # the end of the file, where OpenCV writes the index (moov), is cut
    result = run_script("05_evaluate.py", "--video", broken, cwd=tmp_path, check=False)
    assert result.returncode != 0 and "cannot read it as a video" in result.stderr
    assert "moov" not in result.stderr and "[mov," not in result.stderr


def test_02_prints_whole_method_names():
    make_clips = load_script("02_make_clips.py")
    long_names = ["wav2lip_gan_with_gfpgan_restoration", "wav2lip_gan_with_gfpgan_restoration_v2"]
    rows = [{"video_id": f"v{i}", "group": f"g{i}", "label": "1", "method": m, "split": s}
            for i, (m, s) in enumerate(zip(long_names * 2, ["train", "train", "val", "test"]))]
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        make_clips.print_counts(rows, 16)
    assert all(f"  {m} " in printed.getvalue() for m in long_names)


def test_02_hints_the_recipes_flags_for_real_footage(tmp_path):
    import argparse

    make_clips = load_script("02_make_clips.py")
    rows = [{"label": "0"}, {"label": "1"}]
    faces = tmp_path / "faces_all"
    faces.mkdir()
    common.write_json(faces / "settings.json", {"size": 128, "source": {"kind": "manifest", "path": "x.csv"}})
    hint = make_clips.training_hint(rows, tmp_path / "clips_all", faces, argparse.Namespace(clip_len=32))
    for flag in ("--pseudo-fakes selfblend", "--input-size 64", "--clip-len 16", "--clips-per-video 4", "--epochs 5",
                 "--degrade 0.8 --match-sharpness --compress 0.8 --region mouth", f"--clips {tmp_path / 'clips_all'}", "--out runs/all/cnn_lstm"):
        assert flag in hint, (flag, hint)
    common.write_json(faces / "settings.json", {"size": 64, "source": {"kind": "demo"}})  # the demo: 03's defaults
    demo = make_clips.training_hint(rows, tmp_path / "clips_all", faces, argparse.Namespace(clip_len=16))
    assert "--pseudo-fakes" not in demo and "--epochs" not in demo


def test_the_hint_after_training_scores_val_when_there_is_no_test_split(tmp_path):
    clips = tmp_path / "clips_all"
    common.write_csv(clips / "clips.csv", [{"split": "train"}, {"split": "val"}], ["split"])
    for name in ("c3d", "cnn_lstm", "other"):
        run = tmp_path / "runs" / name
        run.mkdir(parents=True)
        (run / "best.pt").write_bytes(b"")
        common.write_json(run / "config.json", {"clips": str(clips if name != "other" else tmp_path / "elsewhere")})
    hint = common.evaluate_hint(tmp_path / "runs" / "cnn_lstm", clips)
    assert hint.endswith(f"--runs {tmp_path / 'runs' / 'c3d'} {tmp_path / 'runs' / 'cnn_lstm'} --split val "
                         f"--out runs/report_all_val"), hint
    common.write_csv(clips / "clips.csv", [{"split": "train"}, {"split": "test"}], ["split"])
    assert "--split" not in common.evaluate_hint(tmp_path / "runs" / "cnn_lstm", clips)


def test_no_test_clips_names_the_fix(pipeline, tmp_path):
    clips = tmp_path / "clips_notest"
    rows = [r for r in common.read_csv(pipeline / "data/clips/clips.csv") if r["split"] != "test"]
    common.write_csv(clips / "clips.csv", rows, common.CLIP_FIELDS)
    shutil.copy(pipeline / "data/clips/settings.json", clips / "settings.json")
    result = run_script("05_evaluate.py", "--runs", "runs/c3d", "--clips", clips, "--out", tmp_path / "report",
                        cwd=pipeline, check=False)
    assert result.returncode != 0 and "no test clips" in result.stderr and "--split val" in result.stderr


def test_a_run_stopped_early_reports_the_epochs_it_trained(pipeline, tmp_path):
    run = tmp_path / "stopped"
    run_script("03_train_cnn_lstm.py", *TINY_TRAIN, "--epochs", "3", "--stop-after", "1", "--out", run, cwd=pipeline)
    run_script("05_evaluate.py", "--runs", run, "--out", tmp_path / "report", "--bootstrap", "20", cwd=pipeline)
    models = (tmp_path / "report" / "report.md").read_text().split("## Models")[1]
    assert "| 1 of 3 |" in models


def test_05_refuses_a_run_of_the_retired_landmark_model_and_names_its_commit(tmp_path):
    """An old run of 03 --input landmarks: common.py no longer builds that model, so 05 says which
    commit still can, instead of failing on the weights."""
    import pytest
    import torch

    run = tmp_path / "landmarks"
    run.mkdir()
    torch.save({"config": {"model": "cnn_lstm", "temporal": "lstm", "input": "landmarks", "hidden": 64, "width": 16},
                "model": {}}, run / "best.pt")
    evaluate = load_script("05_evaluate.py")
    with pytest.raises(SystemExit, match=f"landmarks is a landmark model.*commit {evaluate.LANDMARK_COMMIT}"):
        evaluate.load_run(run, "cpu")
    assert evaluate.LANDMARK_COMMIT == "1f6c651"  # the last commit with the model (docs/real-footage.md)
    with pytest.raises(ValueError, match="unknown input 'landmarks'"):  # and common.py does not build it quietly
        common.build_model({"model": "cnn_lstm", "temporal": "lstm", "input": "landmarks", "hidden": 64, "width": 16})
