"""Bad videos get a status in index.csv and a one-line warning; the run goes on."""

import csv

import cv2
import numpy as np
from conftest import run_script

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
