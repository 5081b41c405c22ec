"""Pseudo-fakes (fakes made from real clips), frame-rate resampling, test-only sets, and learning
from real videos alone."""

import csv
import shutil

import cv2
import numpy as np
import pytest
from conftest import run_script

import common


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def talking_clip(seed, t=8, size=64):
    """A drawn face speaking for t frames, and five points per frame that move with it."""
    rng = np.random.default_rng(seed)
    who = common.random_identity(rng, 160)
    frames = common.render_video(who, common.real_tracks(rng, t, 25.0), 160, rng)
    crops = np.stack([cv2.resize(f[16:144, 16:144], (size, size), interpolation=cv2.INTER_AREA)[..., ::-1] for f in frames])
    base = np.float32([[0.33, 0.36], [0.67, 0.36], [0.5, 0.5], [0.36, 0.62], [0.64, 0.62]]) * size  # as YuNet places them
    drift = np.linspace(0, 2, t)[:, None, None] * np.float32([1, 0.5])  # the head moves a little
    return crops, base[None] + drift


@pytest.mark.parametrize("method", common.PSEUDO_FAKES)
def test_a_pseudo_fake_changes_only_its_region_keeps_the_shape_and_follows_its_seed(method):
    frames, points = talking_clip(0)
    before = frames.copy()
    fake, mask = common.make_pseudo_fake(method, frames, points, np.random.default_rng(5))
    assert np.array_equal(frames, before)  # the real clip is not modified in place
    assert fake.shape == frames.shape and fake.dtype == np.uint8 and mask.shape == frames.shape[:3]
    outside = mask == 0
    assert np.array_equal(fake[outside], frames[outside]), "pixels outside the mask were changed"
    assert (fake != frames).any(), "the fake is the real clip"
    again, _ = common.make_pseudo_fake(method, frames, points, np.random.default_rng(5))
    assert np.array_equal(fake, again)  # the seed decides everything
    other = [common.make_pseudo_fake(method, frames, points, np.random.default_rng(s))[0] for s in (6, 7, 8)]
    assert any(not np.array_equal(fake, o) for o in other)


def test_the_face_mask_covers_the_face_and_not_the_border():
    _, points = talking_clip(0)
    face = common.region_mask(points[0], 64, common.mask_shape(np.random.default_rng(0)))
    assert face.max() == pytest.approx(1.0, abs=0.01)
    assert max(face[0].max(), face[-1].max(), face[:, 0].max(), face[:, -1].max()) < 0.01  # the frame's edge stays real
    eyes_y = points[0, :2, 1].mean()
    assert face[int(eyes_y)].max() > 0.5 and face[: int(eyes_y) // 2].max() < 0.01  # the eyes in, the top of the head out


def fake_faces(folder, videos):
    """Face arrays and meta files of small made-up videos: {video_id: group}."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, vid in enumerate(videos):
        crops, points = talking_clip(k, t=8)
        np.save(folder / f"{vid}.npy", crops)
        np.savez(folder / f"{vid}.meta.npz", frame_idx=np.arange(8), landmarks=points / 64)


def test_pseudo_rows_add_one_fake_per_real_clip_or_one_per_method():
    rows = [{"clip_id": f"v{k}@0", "video_id": f"v{k}", "group": f"p{k}", "label": str(k % 2),
             "method": "real" if k % 2 == 0 else "X"}
            for k in range(6)]
    drawn = common.pseudo_rows(rows, ["selfblend"], seed=0)
    assert len(drawn) == 9 and drawn == common.pseudo_rows(rows, ["selfblend"], seed=0)
    every = common.pseudo_rows(rows, list(common.PSEUDO_FAKES), seed=0, every_method=True)
    fakes = [r for r in every if r.get("pseudo")]
    assert len(fakes) == 3 * len(common.PSEUDO_FAKES)
    assert all(r["label"] == "1" and r["method"] == f"pseudo-{r['pseudo']}" and r["video_id"] != r["fake_of"]
               for r in fakes)


def write_counting_video(path, fps, n=60):
    """A drawn talking face whose frame k also shows k in its top-left corner (gray level 4k), as MJPEG."""
    rng = np.random.default_rng(0)
    who = common.random_identity(rng, 128)
    frames = common.render_video(who, common.real_tracks(rng, n, fps), 128, rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (128, 128))  # nearly lossless
    for k, f in enumerate(frames):
        f[:16, :16] = 4 * k
        writer.write(f)
    writer.release()


@pytest.mark.parametrize("fps, expected", [(50, lambda k: 2 * k), (30, lambda k: round(1.2 * k)), (20, lambda k: k)])
def test_resampling_picks_the_frame_nearest_each_tick(tmp_path, fps, expected):
    path = tmp_path / f"v{fps}.avi"
    write_counting_video(path, fps)
    faces = common.extract_faces(path, common.HaarDetector(), size=32, fps=25, detect_every=4)
    assert faces["native_fps"] == pytest.approx(fps)
    assert faces["fps"] == pytest.approx(25 if fps > 25 else fps)  # a slower video keeps its rate
    assert faces["frames"] == 60
    assert faces["source_idx"].tolist() == [expected(k) for k in faces["frame_idx"]]
    assert np.array_equal(faces["frame_idx"], np.arange(faces["frame_idx"][0], faces["frame_idx"][-1] + 1))
    # the frames kept are the ones named: read them back from the file
    cap, picked = cv2.VideoCapture(str(path)), []
    for k in range(60):
        ok, frame = cap.read()
        picked.append(int(round(frame[4:12, 4:12].mean() / 4)))
    assert [picked[i] for i in faces["source_idx"]] == faces["source_idx"].tolist()


def test_01_records_the_frame_rate_and_points(tmp_path):
    videos = tmp_path / "videos"
    write_counting_video(videos / "real" / "a.avi", 50)
    out = tmp_path / "faces"
    run_script("01_extract_faces.py", "--videos", videos, "--out", out, "--detector", "haar", cwd=tmp_path)
    row, = read(out / "index.csv")
    assert float(row["fps"]) == 25 and float(row["native_fps"]) == 50 and int(row["frames"]) == 60
    assert common.read_json(out / "settings.json")["fps"] == 25
    meta = np.load(out / "real__a.meta.npz")
    assert meta["landmarks"].shape == (int(row["kept"]), 5, 2) and meta["source_idx"][1] == 2
    assert 0 < meta["landmarks"].min() and meta["landmarks"].max() < 1  # inside the crop


def test_a_set_to_judge_becomes_test_clips_only(pipeline, tmp_path):
    out = tmp_path / "clips_all_test"
    run_script("02_make_clips.py", "--faces", pipeline / "data/faces", "--out", out, "--all-test",
               "--clip-len", "8", "--stride", "8", cwd=tmp_path)
    assert {r["split"] for r in read(out / "clips.csv")} == {"test"}
    run_script("05_evaluate.py", "--runs", pipeline / "runs/c3d", "--clips", out, "--out", tmp_path / "report",
               "--bootstrap", "50", cwd=tmp_path)
    assert {r["model"] for r in read(tmp_path / "report" / "results.csv")} == {"c3d"}
    bad = run_script("02_make_clips.py", "--faces", pipeline / "data/faces", "--out", tmp_path / "x", "--val", "0",
                     "--test", "1", cwd=tmp_path, check=False)
    assert bad.returncode != 0 and "--all-test" in bad.stderr and "Traceback" not in bad.stderr


def test_a_manifest_that_puts_every_video_in_test_is_explained(tmp_path):
    videos = tmp_path / "videos"
    rows = []
    for k in range(3):
        write_counting_video(videos / f"v{k}.avi", 25, n=24)
        rows.append(f"v{k}.avi,{k % 2},p{k},test,")
    (videos / "list.csv").write_text("path,label,group,split,method\n" + "\n".join(rows) + "\n")
    run_script("01_extract_faces.py", "--manifest", videos / "list.csv", "--out", tmp_path / "faces",
               "--detector", "haar", cwd=tmp_path)
    bad = run_script("02_make_clips.py", "--faces", tmp_path / "faces", "--out", tmp_path / "clips", cwd=tmp_path,
                     check=False)
    assert bad.returncode != 0 and "--all-test" in bad.stderr and "Traceback" not in bad.stderr
    run_script("02_make_clips.py", "--faces", tmp_path / "faces", "--out", tmp_path / "clips", "--all-test", cwd=tmp_path)
    assert len({r["video_id"] for r in read(tmp_path / "clips" / "clips.csv")}) == 3


def test_learning_from_real_videos_alone(tmp_path):
    """Real demo videos only: 02 accepts a set without fakes, 03 and 04 train on the real clips and
    their pseudo-fakes, 05 tests each family on held-out people."""
    run_script("01_extract_faces.py", "--demo", "--identities", "6", "--frames", "40", "--videos", "all", "--out",
               "faces_all", cwd=tmp_path)
    shutil.copytree(tmp_path / "all" / "real", tmp_path / "reals" / "real")
    run_script("01_extract_faces.py", "--videos", "reals", "--detector", "haar", "--size", "32", cwd=tmp_path)
    made = run_script("02_make_clips.py", "--clip-len", "8", "--stride", "8", cwd=tmp_path)
    assert "real videos only" in made.stdout
    plain = run_script("03_train_cnn_lstm.py", "--epochs", "1", cwd=tmp_path, check=False)
    assert plain.returncode != 0 and "--pseudo-fakes" in plain.stderr
    run_script("03_train_cnn_lstm.py", "--epochs", "1", "--batch-size", "4", "--pseudo-fakes", "all", cwd=tmp_path)
    run_script("04_train_3dcnn.py", "--epochs", "1", "--batch-size", "4", "--pseudo-fakes", "selfblend", cwd=tmp_path)
    assert common.read_json(tmp_path / "runs/c3d/config.json")["pseudo_fakes"] == ["selfblend"]
    run_script("05_evaluate.py", "--pseudo-fakes", "all", "--bootstrap", "50", cwd=tmp_path)
    families = {(r["model"], r["method"]) for r in read(tmp_path / "runs/report/by_method.csv") if r["level"] == "video"}
    assert families == {(m, f"pseudo-{f}") for m in ("c3d", "cnn_lstm") for f in common.PSEUDO_FAKES}
    bad = run_script("03_train_cnn_lstm.py", "--pseudo-fakes", "blur", cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "selfblend" in bad.stderr
    retired = run_script("03_train_cnn_lstm.py", "--pseudo-fakes", "lipsync", cwd=tmp_path, check=False)
    assert retired.returncode == 2 and "retired" in retired.stderr
