"""Unit tests: models, metrics, splits, tracking and the demo generator's design rule."""

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

import common

# ---------------------------------------------------------------------------- models


@pytest.mark.parametrize("temporal", ["lstm", "gru", "mean"])
@pytest.mark.parametrize("input", ["rgb", "diff", "both"])
def test_cnn_lstm_gives_one_logit_per_clip(temporal, input):
    model = common.CNNLSTM(temporal=temporal, input=input)
    assert model(torch.randn(3, 8, 3, 32, 32)).shape == (3,)


def test_bidirectional_lstm_really_is_bidirectional():
    model = common.CNNLSTM(temporal="lstm", bidirectional=True)
    assert model.rnn.bidirectional and model.rnn.batch_first
    assert model(torch.randn(2, 6, 3, 48, 48)).shape == (2,)


def test_c3d_gives_one_logit_per_clip_for_any_size():
    model = common.C3D()
    for t, s in ((16, 32), (8, 48), (32, 64)):
        assert model(torch.randn(2, t, 3, s, s)).shape == (2,)


def test_mean_baseline_ignores_frame_order_and_lstm_does_not():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 3, 32, 32)
    shuffled = x[:, torch.randperm(8)]
    mean, lstm = common.CNNLSTM(temporal="mean", input="rgb").eval(), common.CNNLSTM(temporal="lstm").eval()
    assert torch.allclose(mean(x), mean(shuffled), atol=1e-5)
    assert not torch.allclose(lstm(x), lstm(shuffled), atol=1e-5)


def test_build_model_rebuilds_what_was_trained():
    config = {"model": "cnn_lstm", "temporal": "gru", "input": "diff", "hidden": 32, "width": 8}
    model = common.build_model(config)
    assert isinstance(model.rnn, torch.nn.GRU) and model.input == "diff"
    assert isinstance(common.build_model({"model": "c3d", "width": 8}), common.C3D)


# ---------------------------------------------------------------------------- metrics


def test_metrics_equal_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.3 + rng.uniform(0, 0.7, 200), 0, 1)
    m = common.binary_metrics(y, p)
    pred = p >= 0.5
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert m["mse"] == pytest.approx(np.mean((p - y) ** 2))
    assert [m["tn"], m["fp"], m["fn"], m["tp"]] == skm.confusion_matrix(y, pred).ravel().tolist()


def test_metrics_on_a_case_worked_by_hand():
    # labels 0 0 1 1, probabilities .1 .6 .4 .9: one real called fake, one fake missed.
    m = common.binary_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (1, 1, 1, 1)
    assert m["accuracy"] == 0.5 and m["precision"] == 0.5 and m["recall"] == 0.5
    assert m["auc"] == 0.75  # 3 of the 4 (fake, real) pairs are ordered right
    assert m["mse"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)


def test_auc_of_a_single_class_is_nan_not_a_crash():
    assert np.isnan(common.binary_metrics([1, 1, 1], [0.2, 0.5, 0.9])["auc"])


def test_video_level_is_the_mean_of_its_clips():
    rows = [{"video_id": "a", "label": 1, "prob": 0.2}, {"video_id": "a", "label": 1, "prob": 0.6},
            {"video_id": "b", "label": 0, "prob": 0.1}]
    videos = {v["video_id"]: v for v in common.video_level(rows)}
    assert videos["a"]["prob"] == pytest.approx(0.4) and videos["a"]["clips"] == 2
    assert videos["b"]["prob"] == pytest.approx(0.1)


# ---------------------------------------------------------------------------- splits and clips


@pytest.mark.parametrize("seed", range(5))
def test_group_split_never_cuts_a_group(seed):
    rng = np.random.default_rng(seed)
    groups = [f"person{g}" for g in rng.integers(0, 30, 300)]
    labels = [int(x) for x in rng.integers(0, 2, 300)]
    split = common.group_split(groups, labels, val=0.2, test=0.2, seed=seed)
    assert set(split) == set(groups) and set(split.values()) == {"train", "val", "test"}
    counts = {s: sum(v == s for v in split.values()) for s in ("train", "val", "test")}
    assert counts["train"] > counts["val"] > 0 and counts["test"] > 0


def test_group_split_is_reproducible():
    groups, labels = [f"g{i % 10}" for i in range(50)], [i % 2 for i in range(50)]
    assert common.group_split(groups, labels, 0.2, 0.2, seed=3) == common.group_split(groups, labels, 0.2, 0.2, seed=3)


def test_clip_windows_never_span_a_gap():
    frame_idx = np.array(list(range(0, 20)) + list(range(30, 40)))  # a gap between 19 and 30
    starts = common.clip_windows(frame_idx, clip_len=8, stride=4)
    assert starts == [0, 4, 8, 12, 20]
    for s in starts:
        assert np.all(np.diff(frame_idx[s : s + 8]) == 1)


def test_fill_and_smooth_interpolates_short_gaps_only():
    boxes = np.tile(np.array([10, 10, 50, 50], np.float32), (30, 1))
    boxes[5:8] = np.nan  # short gap: filled
    boxes[15:28] = np.nan  # long gap: the track is cut
    out, keep, interpolated = common.fill_and_smooth(boxes, max_gap=5, window=5)
    assert keep[5:8].all() and interpolated[5:8].all()
    assert not keep[15:28].any() and keep[28:].all()
    assert np.allclose(out[keep], [10, 10, 50, 50])


def test_augmentation_is_the_same_on_every_frame():
    frame = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    clip = np.stack([frame] * 8)  # a still clip must stay still after augmentation
    for seed in range(5):
        out = common.augment_clip(clip, np.random.default_rng(seed))
        assert all(np.array_equal(out[0], f) for f in out)


# ---------------------------------------------------------------------------- the demo generator


@pytest.mark.parametrize("method", common.DEMO_METHODS)
def test_a_fake_only_reorders_values_of_a_real_track(method):
    """The design rule: every per-frame value of a fake comes from the real video; only the order changes."""
    rng = np.random.default_rng(1)
    real = common.real_tracks(rng, 64, 25.0)
    fake = common.fake_tracks(real, method, rng)
    changed = [k for k in real if not np.array_equal(real[k], fake[k])]
    assert changed, "the manipulation changed nothing"
    for k in real:
        assert set(np.round(fake[k], 9)) <= set(np.round(real[k], 9))
    if method != "LipSync":  # a local shuffle keeps exactly the values of every window
        for k in changed:
            assert np.allclose(np.sort(fake[k]), np.sort(real[k]))


def test_demo_is_deterministic_for_a_seed(tmp_path):
    for out in ("a", "b"):
        common.make_demo_identity(tmp_path / out, 3, frames=10, size=96, fps=25, seed=7, methods=("Blink",))
    for rel in ("real/id003.mp4", "fake/Blink/id003.mp4"):
        a = list(common.iter_frames(tmp_path / "a" / rel))
        b = list(common.iter_frames(tmp_path / "b" / rel))
        assert len(a) == 10 and all(np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------------------- forensic metrics


def test_balanced_accuracy_and_average_precision_equal_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.25 + rng.uniform(0, 0.75, 300), 0, 1)
    m = common.binary_metrics(y, p, threshold=0.4)
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, p >= 0.4))
    assert m["ap"] == pytest.approx(skm.average_precision_score(y, p))
    assert m["bpcer"] == pytest.approx(np.mean(p[y == 0] >= 0.4))  # reals called fake
    assert m["apcer"] == pytest.approx(np.mean(p[y == 1] < 0.4))  # fakes called real


def test_eer_apcer_bpcer_acer_on_a_case_worked_by_hand():
    # reals score .1 .2 .7, fakes .3 .8 .9. At threshold .7: one real of three is called fake
    # (BPCER 1/3) and one fake of three is called real (APCER 1/3): the two rates meet, EER = 1/3.
    y, p = [0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.7, 0.3, 0.8, 0.9]
    eer, threshold = common.equal_error_rate(y, p)
    assert eer == pytest.approx(1 / 3) and threshold == pytest.approx(0.7)
    m = common.binary_metrics(y, p, threshold=0.5)  # at 0.5: real .7 flagged, fake .3 missed
    assert m["apcer"] == pytest.approx(1 / 3) and m["bpcer"] == pytest.approx(1 / 3) and m["acer"] == pytest.approx(1 / 3)
    m = common.binary_metrics(y, p, threshold=0.25)  # reals .7 flagged; no fake missed
    assert (m["apcer"], m["bpcer"], m["acer"]) == pytest.approx((0, 1 / 3, 1 / 6))
    # A perfect separation has an EER of 0; a reversed one of 1.
    assert common.equal_error_rate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])[0] == 0
    assert common.equal_error_rate([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])[0] == 1


def test_eer_interpolates_between_roc_points():
    # On overlapping scores, the EER must match a brute-force sweep of thresholds.
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    p = np.clip(y * 0.3 + rng.normal(0.35, 0.2, 400), 0, 1)
    eer, _ = common.equal_error_rate(y, p)
    sweep = [(np.mean(p[y == 0] >= t), np.mean(p[y == 1] < t)) for t in np.linspace(0, 1, 2001)]
    closest = min(sweep, key=lambda ab: abs(ab[0] - ab[1]))
    assert eer == pytest.approx(np.mean(closest), abs=0.01)


def test_rank_auc_equals_scikit_learn_with_ties():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    p = np.round(np.clip(y * 0.2 + rng.uniform(0, 0.8, 500), 0, 1), 1)  # rounded: many ties
    assert common.rank_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p))


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    p = np.clip(y * 0.3 + rng.uniform(0, 0.7, 60), 0, 1)
    auc = skm.roc_auc_score(y, p)
    low, high = common.bootstrap_ci(y, p, skm.roc_auc_score, n_boot=500, seed=7)
    assert low < auc < high and high - low < 0.5
    assert common.bootstrap_ci(y, p, skm.roc_auc_score, n_boot=500, seed=7) == (low, high)
    assert common.bootstrap_ci(y, p, skm.roc_auc_score, n_boot=500, seed=8) != (low, high)


def test_perturbations_parse_and_degrade():
    assert common.parse_perturbations(["jpeg:30,blur:1", "noise:5"]) == [("jpeg", 30), ("blur", 1), ("noise", 5)]
    for bad in (["jpeg:0"], ["resize:2"], ["sharpen:11"], ["blur"]):
        with pytest.raises(ValueError):
            common.parse_perturbations(bad)
    clip = np.random.default_rng(0).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    for spec in ("jpeg:10", "blur:2", "noise:20", "resize:0.25", "sharpen:1"):
        out = common.perturb_clip(clip, common.parse_perturbations([spec]), np.random.default_rng(0))
        assert out.shape == clip.shape and out.dtype == np.uint8 and not np.array_equal(out, clip)
