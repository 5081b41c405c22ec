"""Motion evidence (benchmarks/motion_cues.py): per-video statistics of how the face mesh moves, and
their late fusion with a temporal model. Geometry in eye distances does not depend on how large the
face is or where it sits; the fusion rule of a fold never sees that fold's labels."""

import sys
from pathlib import Path

import numpy as np

import common

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import motion_cues  # noqa: E402


def speaking_mesh(seed: int, t: int = 60) -> np.ndarray:
    """A mesh [t, 468, 3] whose lower lip and jaw move down and up, as in speech, with a little noise."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 1, (468, 3))
    lower = np.array(common.MESH_LIPS_INNER[10:] + common.MESH_LIPS_OUTER[10:] + common.MESH_JAW[5:16] + [152, 14])
    opening = 0.05 * (1 + np.sin(np.arange(t) / 3.0))
    mesh = np.repeat(base[None], t, axis=0) + rng.normal(0, 0.002, (t, 468, 3))
    mesh[:, lower, 1] += opening[:, None]
    return mesh


def test_motion_statistics_do_not_depend_on_the_face_size_or_place():
    mesh = speaking_mesh(0)
    stats = motion_cues.motion_statistics(mesh)
    moved = motion_cues.motion_statistics(mesh * 3.0 + np.array([5.0, -2.0, 1.0]))  # a larger face elsewhere
    assert stats.keys() == moved.keys() and len(stats) > 40
    for k in stats:
        assert np.isclose(stats[k], moved[k], rtol=1e-6, atol=1e-6), k
    still = motion_cues.motion_statistics(np.repeat(mesh[:1], 60, axis=0) + 1e-4 * mesh)
    assert stats["mouth speed"] > still["mouth speed"] + 1  # a speaking mouth moves (logarithms: e times faster)


def test_the_fusion_rule_of_a_fold_never_sees_that_folds_labels(tmp_path):
    rng = np.random.default_rng(0)
    videos = [f"v{k}" for k in range(40)]
    labels = {v: int(k % 2) for k, v in enumerate(videos)}
    fold = {v: 1 + (k // 2) % 4 for k, v in enumerate(videos)}  # each fold holds both labels

    def write_folds(labels):
        for f in range(1, 5):
            (tmp_path / f"fold_{f}").mkdir(exist_ok=True)
            common.write_csv(tmp_path / f"fold_{f}" / "clips.csv",
                             [{"video_id": v, "label": labels[v], "split": "test" if fold[v] == f else "train"}
                              for v in videos], ["video_id", "label", "split"])

    first = {v: float(np.clip(0.5 + 0.3 * (labels[v] - 0.5) + rng.normal(0, 0.15), 0.01, 0.99)) for v in videos}
    second = {v: float(rng.uniform(0.05, 0.95)) for v in videos}
    write_folds(labels)
    fused = motion_cues.fuse(tmp_path, first, second)
    assert set(fused) == set(videos) and common.rank_auc([labels[v] for v in videos], [fused[v] for v in videos]) > 0.7
    flipped = {v: 1 - labels[v] if fold[v] == 1 else labels[v] for v in videos}  # fold 1's labels changed
    write_folds(flipped)
    again = motion_cues.fuse(tmp_path, first, second)
    assert all(np.isclose(again[v], fused[v]) for v in videos if fold[v] == 1)  # its rule was fitted elsewhere
    assert not all(np.isclose(again[v], fused[v]) for v in videos if fold[v] != 1)  # the others' rules saw fold 1
