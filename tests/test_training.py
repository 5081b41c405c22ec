"""Training that holds up: the clips a model sees (regions, augmentation drawn per clip)."""

import csv

import numpy as np
import torch

import common


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_augmentation_depends_on_seed_epoch_and_clip_only(pipeline):
    rows = [r for r in read(pipeline / "data/clips/clips.csv") if r["split"] == "train"][:6]
    data = common.ClipDataset(rows, pipeline / "data/faces", augment=True, seed=0)
    data.set_epoch(1)
    first = [data[i][0] for i in range(6)]
    again = [data[i][0] for i in reversed(range(6))][::-1]  # another order: the same clips
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    data.set_epoch(2)
    assert not all(torch.equal(a, data[i][0]) for i, a in enumerate(first))  # a new epoch, new draws
    plain = common.ClipDataset(rows, pipeline / "data/faces")
    assert not all(torch.equal(a, plain[i][0]) for i, a in enumerate(first))


def test_regions_cut_the_right_band():
    frame = np.zeros((32, 32, 3), np.uint8)
    frame[16:] = 255  # the upper half black, the lower half white
    clip = np.stack([frame] * 4)
    face, mouth, eyes = (common.clip_to_tensor(clip, r) for r in ("face", "mouth", "eyes"))
    assert face.shape == mouth.shape == eyes.shape == (4, 3, 32, 32)
    assert torch.all(mouth == 1.0) and torch.all(eyes == -1.0) and face.min() == -1.0 and face.max() == 1.0
