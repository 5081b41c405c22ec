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
