"""01_extract_faces.py on awkward input, interrupted runs and shards: a status, never a crash."""

import csv
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
from conftest import ROOT, run_script

import common


def demo_frames(n=24, size=128, seed=0):
    rng = np.random.default_rng(seed)
    who = common.random_identity(rng, size)
    return common.render_video(who, common.real_tracks(rng, n, 25.0), size, rng)


def index(out):
    with open(out / "index.csv", newline="", encoding="utf-8") as f:
        return {r["video_id"]: r for r in csv.DictReader(f)}


def test_awkward_videos_each_get_the_right_status(tmp_path):
    videos = tmp_path / "videos"
    frames = demo_frames()
    common.write_video(videos / "real" / "plain.mp4", frames, 25)
    # grayscale: written as one-channel video
    gray = videos / "real" / "gray.avi"
    writer = cv2.VideoWriter(str(gray), cv2.VideoWriter_fourcc(*"MJPG"), 25, (128, 128), isColor=False)
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY))
    writer.release()
    # portrait (vertical) video, and a very large one
    common.write_video(videos / "real" / "portrait.mp4", [cv2.copyMakeBorder(f, 96, 96, 0, 0, cv2.BORDER_REPLICATE)
                                                          for f in frames], 25)
    common.write_video(videos / "real" / "large.mp4", [cv2.resize(f, (1920, 1920)) for f in frames[:18]], 25)
    # spaces and non-ASCII characters in folder and file names
    common.write_video(videos / "fake" / "Face Swap" / "José Ñandú 01.mp4", frames, 25)
    # shorter than a clip, truncated (an AVI cut in the middle), empty, text
    common.write_video(videos / "real" / "short.mp4", frames[:8], 25)
    avi = videos / "real" / "cut.avi"
    writer = cv2.VideoWriter(str(avi), cv2.VideoWriter_fourcc(*"MJPG"), 25, (128, 128))
    for f in frames:
        writer.write(f)
    writer.release()
    avi.write_bytes(avi.read_bytes()[: avi.stat().st_size * 6 // 10])
    (videos / "real" / "empty.mp4").write_bytes(b"")
    (videos / "real" / "notes.mp4").write_text("not a video")

    out = tmp_path / "faces"
    result = run_script("01_extract_faces.py", "--videos", videos, "--out", out, "--detector", "haar",
                        "--min-frames", "12", cwd=tmp_path)
    rows = index(out)
    status = {vid: r["status"] for vid, r in rows.items()}
    assert status == {"real__plain": "ok", "real__gray": "ok", "real__portrait": "ok", "real__large": "ok",
                      "fake__Face Swap__José Ñandú 01": "ok", "real__short": "too_short", "real__cut": "truncated",
                      "real__empty": "empty", "real__notes": "unreadable"}
    assert rows["fake__Face Swap__José Ñandú 01"]["method"] == "Face Swap"
    for vid in ("real__plain", "real__gray", "real__portrait", "real__large", "fake__Face Swap__José Ñandú 01"):
        assert float(rows[vid]["face_rate"]) > 0.8, vid
        crops = np.load(out / f"{vid}.npy")
        assert crops.shape[1:] == (48, 48, 3) and len(crops) == int(rows[vid]["kept"])
    warned = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert len(warned) == 4  # short, cut, empty, notes: one line each
    assert "4 ok" not in result.stdout and "5 ok" in result.stdout


def test_two_faces_follow_the_main_speaker(tmp_path):
    """A small face in the corner must not steal the track from the large one."""
    big, small = demo_frames(seed=1), demo_frames(seed=2)
    frames = []
    for b, s in zip(big, small):
        canvas = cv2.resize(b, (256, 256))
        canvas[:96, :96] = cv2.resize(s, (96, 96))
        frames.append(canvas)
    common.write_video(tmp_path / "v" / "real" / "two.mp4", frames, 25)
    faces = common.extract_faces(tmp_path / "v" / "real" / "two.mp4", common.HaarDetector(), 48)
    centres = faces["boxes"][:, :2] + faces["boxes"][:, 2:] / 2
    assert faces["face_rate"] > 0.9 and np.all(centres.min(axis=0) > 96)  # always the big face
    assert faces["jitter"] < 0.05


def test_rerun_skips_finished_videos_and_resumes_after_a_kill(tmp_path):
    videos, out = tmp_path / "videos", tmp_path / "faces"
    for i in range(6):
        common.make_demo_identity(videos, i, frames=40, size=128, fps=25, seed=0, methods=())
    cmd = [sys.executable, str(ROOT / "01_extract_faces.py"), "--videos", str(videos), "--out", str(out),
           "--detector", "haar", "--workers", "1"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9, workers included
    proc.wait()
    finished = {p.stem for p in out.glob("*.json")}
    assert 0 < len(finished) < 6, "the run should have been killed half-way"
    for vid in finished:  # what is marked done is whole
        assert len(np.load(out / f"{vid}.npy")) == 40
    result = run_script(*cmd[1:], cwd=tmp_path)
    assert f"{len(finished)} already done and skipped" in result.stdout
    assert {r["status"] for r in index(out).values()} == {"ok"} and len(index(out)) == 6
    assert not list(out.glob(".*partial*"))
    # A changed setting (crop size) redoes everything.
    result = run_script(*cmd[1:], "--size", "32", cwd=tmp_path)
    assert "6 videos extracted, 0 already done" in result.stdout


def test_shards_split_the_work_and_share_one_index(tmp_path):
    videos, out = tmp_path / "videos", tmp_path / "faces"
    for i in range(3):
        common.make_demo_identity(videos, i, frames=20, size=128, fps=25, seed=0, methods=("Blink",))
    base = ["--videos", videos, "--out", out, "--detector", "haar", "--min-frames", "8"]
    first = run_script("01_extract_faces.py", *base, "--shard", "1/2", cwd=tmp_path)
    assert "3 videos extracted" in first.stdout and "lists 3 of 6" in first.stdout
    second = run_script("01_extract_faces.py", *base, "--shard", "2/2", cwd=tmp_path)
    assert "3 videos extracted" in second.stdout and len(index(out)) == 6
    bad = run_script("01_extract_faces.py", *base, "--shard", "3/2", cwd=tmp_path, check=False)
    assert bad.returncode != 0 and "--shard" in bad.stderr


def test_preview_sheet(tmp_path):
    videos = tmp_path / "videos"
    common.make_demo_identity(videos, 0, frames=20, size=128, fps=25, seed=0, methods=("LipSync",))
    run_script("01_extract_faces.py", "--videos", videos, "--out", tmp_path / "faces", "--detector", "haar",
               "--min-frames", "8", "--preview", cwd=tmp_path)
    sheet = cv2.imread(str(tmp_path / "faces" / "preview.png"))
    assert sheet is not None and sheet.shape[0] == 2 * (18 + 64) and sheet.shape[1] == 8 * 64


def test_yunet_is_shipped_and_works_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "CACHE_DIR", tmp_path / "cache")  # nothing cached
    monkeypatch.setattr(common, "YUNET_URL", "http://127.0.0.1:9/nothing-here.onnx")  # and no network
    assert common.sha256_of(ROOT / "models" / "face_detection_yunet_2023mar.onnx") == common.YUNET_SHA256
    # auto is YuNet, and settings record no path of this machine (another machine finds its own copy)
    assert common.resolve_detector("auto") == ("yunet", None)
    assert common.make_detector("yunet").name == "yunet"
    assert (ROOT / "models" / "LICENSE-YUNET.txt").is_file()


def test_auto_detector_falls_back_to_haar_without_yunet(tmp_path, monkeypatch):
    """A copy of the scripts without models/ (and offline): auto falls back on Haar, and says so."""
    monkeypatch.setattr(common, "SHIPPED_YUNET", tmp_path / "absent.onnx")
    monkeypatch.setattr(common, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(common, "YUNET_URL", "http://127.0.0.1:9/nothing-here.onnx")  # fails at once, offline
    assert common.resolve_detector("auto") == ("haar", None)
    try:
        common.resolve_detector("yunet")
        raise AssertionError("yunet without a model must fail")
    except common.DetectorError as err:
        assert "--detector-model" in str(err)


def test_opencv_without_haar_says_what_to_do(monkeypatch):
    """OpenCV 5 dropped the Haar cascades: the message must say so and how to fix it."""
    monkeypatch.delattr(common.cv2, "CascadeClassifier")
    for call in (lambda: common.resolve_detector("haar"), common.HaarDetector):
        try:
            call()
            raise AssertionError("Haar without CascadeClassifier must fail")
        except common.DetectorError as err:
            assert "OpenCV 5" in str(err) and "opencv-python<5" in str(err) and "yunet" in str(err)
