"""The 468-point face mesh: where it lands on real faces, the masks it draws, the signals it gives,
its alignment onto the face's mean shape, and what happens without it. The real clips come from the
project's shared test material (skipped when absent)."""

import json
import sys

import cv2
import numpy as np
import pytest
from conftest import REAL_CLIPS, ROOT, needs_shared, run_script

import common

sys.path.insert(0, str(ROOT / "benchmarks"))
import motion_cues  # noqa: E402  (the mesh's alignment lives with the motion statistics that read it)

CLIPS = [REAL_CLIPS / "mead" / "M030_front_angry_level3_001.mp4", REAL_CLIPS / "liveportrait" / "d10.mp4"]


def test_the_mesh_model_is_shipped_with_its_notice_and_checked():
    assert common.SHIPPED_MESH.is_file() and common.sha256_of(common.SHIPPED_MESH) == common.MESH_SHA256
    assert (ROOT / "models" / "LICENSE-MEDIAPIPE.txt").read_text().count("Apache License") >= 1
    mesh, score = common.FaceMesh()(np.full((192, 192, 3), 128, np.uint8))
    assert mesh.shape == (468, 3) and 0 <= score <= 1


def test_the_mesh_outputs_are_told_apart_by_size_not_name(monkeypatch):
    # OpenCV 5.0's new DNN engine names the model's two outputs otherwise than OpenCV 4 (a KeyError on a
    # GPU machine): whatever their names and order, the 1404 numbers are the points, the single one the logit.
    mesher = common.FaceMesh()
    roi = np.full((192, 192, 3), 128, np.uint8)
    want_mesh, want_score = mesher(roi)
    real_net = mesher.net

    class Renamed:  # the same network, its outputs under other names and in the other order
        def setInput(self, blob):
            real_net.setInput(blob)

        def forward(self, names):
            assert names == ["Identity_1", "Identity"]
            return list(reversed(real_net.forward(list(real_net.getUnconnectedOutLayersNames()))))

    monkeypatch.setattr(mesher, "net", Renamed())
    monkeypatch.setattr(mesher, "outputs", ["Identity_1", "Identity"])
    mesh, score = mesher(roi)
    assert np.array_equal(mesh, want_mesh) and score == want_score

    class Wrong(Renamed):  # a model of other outputs is refused with a message, not a KeyError
        def forward(self, names):
            return [np.zeros((1, 10)), np.zeros((1, 1))]

    monkeypatch.setattr(mesher, "net", Wrong())
    with pytest.raises(common.DetectorError, match="1404 points"):
        mesher(roi)


@pytest.fixture(scope="module")
def real_faces():
    """Two real clips extracted at the face's resolution (128 px) with YuNet and the mesh."""
    if not all(p.exists() for p in CLIPS):
        pytest.skip(f"{REAL_CLIPS} is absent (test material of the project's shared folder)")
    detector, mesher = common.make_detector("yunet"), common.FaceMesh()
    return [common.extract_faces(p, detector, size=128, fps=25, mesher=mesher) for p in CLIPS]


@needs_shared(REAL_CLIPS)
def test_the_mesh_lands_on_the_face_where_yunet_puts_its_five_points(real_faces):
    for faces in real_faces:
        mesh, points = faces["mesh"][..., :2] * 128, faces["landmarks"] * 128
        assert faces["mesh"].shape == (len(faces["crops"]), 468, 3) and faces["mesh_score"].min() > 0.5
        mine = np.stack([(mesh[:, 33] + mesh[:, 133]) / 2, (mesh[:, 362] + mesh[:, 263]) / 2,
                         mesh[:, 61], mesh[:, 291]], axis=1)  # eyes' centres, mouth corners
        theirs = points[:, [0, 1, 3, 4]]
        eye_distance = np.linalg.norm(points[:, 1] - points[:, 0], axis=1)[:, None]
        error = np.linalg.norm(mine - theirs, axis=2) / eye_distance
        # YuNet's points are smoothed over 15 frames and the mesh's are not: a few pixels apart
        # at 128 px (a fifth of the eye distance) on most frames.
        assert (error < 0.2).mean() > 0.9, f"median error {np.median(error):.3f} eye distances"


@needs_shared(REAL_CLIPS)
def test_a_mesh_mask_covers_the_face_and_nothing_outside_its_feathered_edge(real_faces):
    faces = real_faces[0]
    mesh, points = faces["mesh"][0, :, :2] * 128, faces["landmarks"][0] * 128
    for seed in range(5):
        shape = common.mask_shape(np.random.default_rng(seed))
        shape["forehead"] = True
        mask = common.region_mask(points, 128, shape, mesh)
        hull = np.zeros((128, 128), np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(mesh.astype(np.float32)).astype(np.int32), 1)
        # The elastic field moves the outline by a few pixels and the blurs spread it by 3 sigma.
        reach = int(np.ceil(3 + 3 * shape["blur2"] * 128))
        grown = cv2.dilate(hull, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
        assert mask[grown == 0].max() < 0.01, "the mask reaches beyond the face's feathered edge"
        assert mask[hull == 1].mean() > 0.6 and mask.max() == pytest.approx(1.0)


@needs_shared(REAL_CLIPS)
@pytest.mark.parametrize("method", common.PSEUDO_FAKES)
def test_fakes_at_the_face_resolution_change_only_their_mask_and_follow_the_seed(real_faces, method):
    faces = real_faces[0]
    frames, points, mesh = faces["crops"][:8], faces["landmarks"][:8] * 128, faces["mesh"][:8, :, :2] * 128
    fake, mask = common.make_pseudo_fake(method, frames, points, np.random.default_rng(3), mesh=mesh)
    assert fake.shape == frames.shape and (fake != frames).any()
    assert np.array_equal(fake[mask == 0], frames[mask == 0]), "pixels outside the mask were changed"
    again, _ = common.make_pseudo_fake(method, frames, points, np.random.default_rng(3), mesh=mesh)
    assert np.array_equal(fake, again)


@needs_shared(REAL_CLIPS)
def test_signals_and_aligned_meshes_have_one_value_per_kept_frame(real_faces):
    for faces in real_faces:
        signals = common.face_signals(faces["mesh"])
        assert set(signals) == set(common.SIGNALS)
        assert all(len(v) == len(faces["crops"]) and np.isfinite(v).all() for v in signals.values())
        assert 0.05 < np.median(signals["eye_right"]) < 0.6 and np.median(signals["mouth_width"]) > 0.5
        aligned, rotations, scales, shifts = motion_cues.align_meshes(faces["mesh"][:32].astype(np.float64))
        assert aligned.shape == (32, 468, 3) and np.isfinite(aligned).all() and scales.shape == shifts.shape[:1] == (32,)
        assert np.allclose(rotations @ rotations.transpose(0, 2, 1), np.eye(3), atol=1e-6)  # turns, no stretch
    # The curves of the README: a PNG with the model's timeline and the dynamics under it.
    png = ROOT / "runs" / "_test_signals.png"
    common.plot_timeline({"m": [(0.0, 0.6, 0.4), (0.6, 1.2, 0.7)]}, {"m": 0.5}, png, "t",
                         {"fps": 25.0, "frame_idx": real_faces[0]["frame_idx"], **common.face_signals(real_faces[0]["mesh"])})
    assert png.stat().st_size > 10_000
    png.unlink()


@needs_shared(REAL_CLIPS)
def test_01_keeps_the_mesh_and_runs_on_five_points_without_it(tmp_path):
    videos = tmp_path / "videos" / "real"
    videos.mkdir(parents=True)
    (videos / "a.mp4").symlink_to(CLIPS[0])
    run_script("01_extract_faces.py", "--videos", tmp_path / "videos", "--out", tmp_path / "faces", cwd=tmp_path)
    meta = np.load(tmp_path / "faces" / "real__a.meta.npz")
    assert meta["mesh"].shape == (len(meta["frame_idx"]), 468, 3) and meta["mesh_score"].shape == meta["frame_idx"].shape
    assert json.loads((tmp_path / "faces" / "settings.json").read_text())["mesh"] == "on"
    # A missing model: auto says so and extracts the five points; 'on' refuses.
    missing = tmp_path / "nowhere.tflite"
    result = run_script("01_extract_faces.py", "--videos", tmp_path / "videos", "--out", tmp_path / "faces5",
                        "--mesh-model", missing, cwd=tmp_path)
    assert "no face mesh" in result.stdout and "five points" in result.stdout
    meta = np.load(tmp_path / "faces5" / "real__a.meta.npz")
    assert "mesh" not in meta and meta["landmarks"].shape[1:] == (5, 2)
    result = run_script("01_extract_faces.py", "--videos", tmp_path / "videos", "--out", tmp_path / "faces6",
                        "--mesh", "on", "--mesh-model", missing, cwd=tmp_path, check=False)
    assert result.returncode != 0 and "face-mesh model" in result.stderr + result.stdout
    # A damaged copy of the shipped file is refused by its sha256.
    broken = tmp_path / "face_landmark.tflite"
    broken.write_bytes(b"not a model")
    with pytest.raises(common.DetectorError, match="cannot load|damaged"):
        common.FaceMesh(broken)


@needs_shared(REAL_CLIPS)
def test_a_clip_without_a_mesh_gets_ellipse_masks(real_faces, tmp_path):
    # The same clip extracted with the mesh (v) and without it (w, as 01 --mesh off or the drawn demo
    # faces): without, the dataset's fake is the one made from the five points alone; with, its mask differs.
    faces = real_faces[0]
    np.save(tmp_path / "v.npy", faces["crops"][:16])
    np.savez(tmp_path / "v.meta.npz", landmarks=faces["landmarks"][:16], mesh=faces["mesh"][:16])
    np.save(tmp_path / "w.npy", faces["crops"][:16])
    np.savez(tmp_path / "w.meta.npz", landmarks=faces["landmarks"][:16])
    frames = faces["crops"][:16].copy()
    made = {v: common.ClipDataset([{"clip_id": f"{v}_0", "video_id": v, "start": "0", "length": "16", "label": "0",
                                    "group": "g"}], tmp_path).pseudo_fake(0, frames, 0, "selfblend", with_mask=True)
            for v in ("v", "w")}
    rng = np.random.default_rng([0, 0, 0, 1])  # the dataset's draw for clip 0 in epoch 0
    fake, mask = common.make_pseudo_fake("selfblend", frames, faces["landmarks"][:16] * 128, rng, mesh=None)
    assert np.array_equal(made["w"][0], fake) and np.allclose(made["w"][1], mask)
    assert not np.allclose(made["v"][1], mask)