"""The quality check (05_evaluate.py --quality-check): a detector whose P(fake) moves when a real
video is blurred, halved in resolution or compressed, or whose scores follow the sharpness of the
face crops, reads footage quality rather than the face. A model that scores sharpness must fail
the check; one that ignores it must pass."""

import argparse
import importlib

import numpy as np
import torch
from test_pseudo_fakes import talking_clip

import common

evaluate = importlib.import_module("05_evaluate")


class SharpnessScorer(torch.nn.Module):
    """P(fake) from how soft the frames are: the lower the variance of their Laplacian, the more fake."""

    def __init__(self, reference: float = 1.0):
        super().__init__()
        self.reference = reference
        self.register_buffer("kernel", torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).view(1, 1, 3, 3))

    def sharpness(self, x):  # x: [B, T, 3, H, W]
        grey = x.mean(dim=2).flatten(0, 1).unsqueeze(1)
        return torch.nn.functional.conv2d(grey, self.kernel).flatten(1).var(dim=1).view(x.shape[0], -1).mean(dim=1)

    def forward(self, x):
        return 5 * (1 - self.sharpness(x) / self.reference)


class BrightnessScorer(torch.nn.Module):
    """P(fake) from the mean brightness of the clip: blur, a resolution drop and JPEG leave it be."""

    def forward(self, x):
        return 4 * (x.mean(dim=(1, 2, 3, 4)) - 0.3)


def real_videos(tmp_path, n: int = 4) -> list[dict]:
    rows = []
    for k in range(n):
        crops, _ = talking_clip(k, t=8, size=64)
        np.save(tmp_path / f"r{k}.npy", crops)
        rows.append({"clip_id": f"r{k}@0", "video_id": f"r{k}", "start": "0", "length": "8", "label": "0",
                     "group": f"p{k}", "method": "real", "split": "test"})
    return rows


def test_a_model_that_scores_sharpness_fails_the_quality_check_and_one_that_ignores_it_passes(tmp_path):
    rows = real_videos(tmp_path)
    args = argparse.Namespace(seed=0, batch_size=4)
    seen = {"clip_len": 8, "input_size": 64}
    sharp = SharpnessScorer()
    x = torch.stack([common.ClipDataset(rows, tmp_path, **seen)[i][0] for i in range(len(rows))])
    sharp.reference = float(sharp.sharpness(x).mean())  # P(fake) 0.5 on the clips as they are
    results = {}
    for name, model in (("sharpness", sharp), ("brightness", BrightnessScorer())):
        scores = evaluate.real_quality_scores(model.eval(), rows, tmp_path, seen, args, torch.device("cpu"))
        assert set(scores) == {"none", *evaluate.QUALITY_CHECKS}
        assert all(set(s) == {r["video_id"] for r in rows} for s in scores.values())
        results[name] = {r["check"]: r for r in evaluate.quality_rows(name, scores, spearman="")}
    assert results["sharpness"]["blur:1.5"]["shift"] > 0.2 and not results["sharpness"]["blur:1.5"]["passed"]
    assert results["sharpness"]["resize:0.5"]["shift"] > 0.05 and not results["sharpness"]["resize:0.5"]["passed"]
    assert all(r["passed"] for r in results["brightness"].values()), results["brightness"]


def test_the_sharpness_correlation_has_a_limit_too():
    scores = {"none": {"a": 0.2, "b": 0.4}, "blur:1.5": {"a": 0.2, "b": 0.41}}
    rows = {r["check"]: r for r in evaluate.quality_rows("m", scores, spearman=-0.57)}
    assert rows["blur:1.5"]["passed"] and abs(rows["blur:1.5"]["shift"] - 0.005) < 1e-9
    assert not rows["spearman(score, sharpness)"]["passed"]
    assert {r["check"] for r in evaluate.quality_rows("m", scores, spearman=0.1) if r["passed"]} == \
        {"blur:1.5", "spearman(score, sharpness)"}


def soft_and_sharp_videos(tmp_path) -> list[dict]:
    """Six real videos, sharp, and six fakes, blurred: the fakes are the softer class, as face swaps
    are in FaceForensics++, four clips each."""
    rows = []
    for k in range(12):
        crops, _ = talking_clip(k, t=8, size=64)
        label = k % 2
        if label:
            crops = np.stack([common.cv2.GaussianBlur(c, (0, 0), 0.5 + k / 4) for c in crops])
        np.save(tmp_path / f"v{k}.npy", crops)
        rows += [{"clip_id": f"v{k}@{j}", "video_id": f"v{k}", "start": "0", "length": "8", "label": str(label),
                  "group": f"p{k}", "method": "real" if label == 0 else "wav2lip", "split": "train"} for j in range(4)]
    return rows


def test_matching_sharpness_gives_both_classes_the_same_sharpness_and_keeps_their_sizes(tmp_path):
    rows = soft_and_sharp_videos(tmp_path)
    sharp = {r["video_id"]: common.face_sharpness(tmp_path / f"{r['video_id']}.npy") for r in rows}
    matched = common.match_sharpness(rows, tmp_path, seed=0, bins=3)
    assert matched == common.match_sharpness(rows, tmp_path, seed=0, bins=3)  # follows from the seed
    assert matched != common.match_sharpness(rows, tmp_path, seed=1, bins=3)

    def gap(rs):  # how much sharper the reals are than the fakes, in mean rank
        ranks = {v: i for i, v in enumerate(sorted(sharp, key=sharp.get))}
        r = [ranks[x["video_id"]] for x in rs]
        labels = np.array([int(x["label"]) for x in rs])
        return np.mean(np.array(r)[labels == 0]) - np.mean(np.array(r)[labels == 1])

    assert gap(rows) > 4  # before: the reals are the sharp ones
    assert abs(gap(matched)) < gap(rows) / 2
    for label in "01":  # each class keeps its number of clips, and every clip is one of its own
        assert sum(r["label"] == label for r in matched) in (24, 23, 25)
    assert all(r in rows for r in matched)


def test_degradation_follows_the_seed_and_treats_both_classes_alike(tmp_path):
    crops, _ = talking_clip(3, t=8, size=64)
    np.save(tmp_path / "real.npy", crops)
    np.save(tmp_path / "fake.npy", crops)  # the same pixels, labelled fake
    rows = [{"clip_id": f"{v}@0", "video_id": v, "start": "0", "length": "8", "label": str(label), "group": v,
             "method": "real" if label == 0 else "wav2lip", "split": "train"} for v, label in (("real", 0), ("fake", 1))]

    def clip(seed, epoch, i, degrade, compress=0.0):
        data = common.ClipDataset(rows, tmp_path, augment=True, seed=seed, degrade=degrade, compress=compress)
        data.set_epoch(epoch)
        return data[i][0]

    # The label plays no part in the draws: the same pixels at the same place in the list get the same
    # degradation, real or fake (swap the rows and the items swap), and the same seed gives the same one.
    assert torch.equal(clip(0, 1, 0, 1.0), clip(0, 1, 0, 1.0))
    rows.reverse()
    swapped = clip(0, 1, 0, 1.0)
    rows.reverse()
    assert torch.equal(swapped, clip(0, 1, 0, 1.0))
    assert not torch.equal(clip(0, 1, 0, 1.0), clip(1, 1, 0, 1.0))  # another seed, another degradation
    assert not torch.equal(clip(0, 1, 0, 1.0), clip(0, 1, 0, 0.0))  # and degradation does change the clip
    # Compression (--compress) alike: the label plays no part, the seed decides, and it changes the clip.
    assert torch.equal(clip(0, 1, 0, 0.0, 1.0), clip(0, 1, 0, 0.0, 1.0))
    rows.reverse()
    swapped = clip(0, 1, 0, 0.0, 1.0)
    rows.reverse()
    assert torch.equal(swapped, clip(0, 1, 0, 0.0, 1.0))
    assert not torch.equal(clip(0, 1, 0, 0.0, 1.0), clip(0, 1, 0, 0.0, 0.0))
    # Quality goes both ways: some degradations leave the face softer, others (sharpening) crisper.
    def lap(frames):
        return np.mean([common.cv2.Laplacian(common.cv2.cvtColor(f, common.cv2.COLOR_RGB2GRAY), common.cv2.CV_64F).var()
                        for f in frames])

    change = [lap(common.degrade_clip(crops, np.random.default_rng(s))) / lap(crops) for s in range(30)]
    assert min(change) < 0.8 and max(change) > 1.2
