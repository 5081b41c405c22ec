"""Training that holds up: resume, determinism, torchrun, and every ablation flag on the demo clips."""

import argparse
import csv
import importlib
import re
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import ROOT, TINY_TRAIN, run_script

import common


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def metrics_but_seconds(run):
    """metrics.csv without its wall-clock column, the one column that may differ between runs."""
    rows = read(run / "metrics.csv")
    for row in rows:
        row.pop("seconds")
    return rows


def weights(run, name="best.pt"):
    return torch.load(run / name, weights_only=True)["model"]


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------- resume


def test_a_resumed_run_ends_as_an_uninterrupted_one(pipeline, tmp_path):
    args = [*TINY_TRAIN, "--epochs", "3"]
    run_script("03_train_cnn_lstm.py", *args, "--out", tmp_path / "whole", cwd=pipeline)

    # Stopped on purpose after epoch 1, then resumed.
    run_script("03_train_cnn_lstm.py", *args, "--stop-after", "1", "--out", tmp_path / "split", cwd=pipeline)
    assert [r["epoch"] for r in read(tmp_path / "split/metrics.csv")] == ["1"]
    changed = run_script("03_train_cnn_lstm.py", *args, "--lr", "0.1", "--resume", "--out", tmp_path / "split",
                         cwd=pipeline, check=False)
    assert changed.returncode != 0 and "lr (was 0.006, now 0.1)" in changed.stderr and "Traceback" not in changed.stderr
    resumed = run_script("03_train_cnn_lstm.py", *args, "--resume", "--out", tmp_path / "split", cwd=pipeline)
    assert "resuming" in resumed.stdout and "epoch   1 |" not in resumed.stdout

    # Killed (kill -9) as soon as the first epoch's last.pt exists, then resumed.
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(ROOT / "03_train_cnn_lstm.py"), *args, "--out", str(killed)],
                            cwd=pipeline, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (killed / "last.pt").exists() and proc.poll() is None:
        time.sleep(0.01)
    proc.kill()
    assert proc.wait() == -9, "the run ended before it could be interrupted"
    assert len(read(killed / "metrics.csv")) < 3
    run_script("03_train_cnn_lstm.py", *args, "--resume", "--out", killed, cwd=pipeline)

    whole = metrics_but_seconds(tmp_path / "whole")
    assert [r["epoch"] for r in whole] == ["1", "2", "3"]
    for run in ("split", "killed"):
        assert metrics_but_seconds(tmp_path / run) == whole
        assert same_weights(weights(tmp_path / run), weights(tmp_path / "whole"))
        assert same_weights(weights(tmp_path / run, "last.pt"), weights(tmp_path / "whole", "last.pt"))
        assert not list((tmp_path / run).glob(".*")), "a temporary file was left behind"


def test_resume_without_a_checkpoint_says_what_to_do(pipeline, tmp_path):
    result = run_script("04_train_3dcnn.py", *TINY_TRAIN, "--resume", "--out", tmp_path / "none", cwd=pipeline, check=False)
    assert result.returncode != 0 and "nothing to continue" in result.stderr and "Traceback" not in result.stderr


def test_a_run_from_before_an_option_was_retired_resumes_only_if_it_used_what_is_kept(pipeline, tmp_path):
    """Issue 29 retired --fake-resolution and --masks; runs trained before it still resume when
    they used the value the code now always uses, and refuse when they did not."""
    out = tmp_path / "old"
    run_script("03_train_cnn_lstm.py", *TINY_TRAIN, "--epochs", "2", "--stop-after", "1", "--out", out, cwd=pipeline)
    ckpt = torch.load(out / "last.pt", weights_only=True)
    for old, resumes in ((common.RETIRED_SETTINGS, True), ({"masks": "ellipse"}, False)):
        ckpt["config"].update(old)
        torch.save(ckpt, out / "last.pt")
        result = run_script("03_train_cnn_lstm.py", *TINY_TRAIN, "--epochs", "2", "--resume", "--out", out,
                            cwd=pipeline, check=False)
        if resumes:
            assert result.returncode == 0 and "resuming" in result.stdout, result.stderr[-2000:]
            ckpt = torch.load(out / "last.pt", weights_only=True)  # now saved with today's settings
        else:
            assert result.returncode != 0 and "masks (was 'ellipse', now None)" in result.stderr


def test_keep_last_trains_alike_and_keeps_the_last_epoch(pipeline, tmp_path):
    """--keep last changes which epoch best.pt holds, nothing of the training: the same metrics as
    --keep best, best.pt the last epoch's weights (--keep best: the epoch of the best validation AUC,
    here an earlier one); with --patience, refused."""
    args = [*TINY_TRAIN, "--epochs", "4", "--lr", "0.05"]  # a rate this high makes the last epochs worse on the demo
    run_script("03_train_cnn_lstm.py", *args, "--out", tmp_path / "best", cwd=pipeline)
    run_script("03_train_cnn_lstm.py", *args, "--keep", "last", "--out", tmp_path / "last", cwd=pipeline)
    assert metrics_but_seconds(tmp_path / "last") == metrics_but_seconds(tmp_path / "best")
    aucs = [float(r["val_auc"]) for r in read(tmp_path / "best" / "metrics.csv")]
    best, last = (torch.load(tmp_path / run / "best.pt", weights_only=True) for run in ("best", "last"))
    assert best["epoch"] == 1 + int(np.argmax(aucs)) < 4, aucs  # else this test could not tell the two apart
    assert last["epoch"] == 4 and last["val_auc"] == pytest.approx(aucs[-1], abs=1e-6)
    assert same_weights(last["model"], weights(tmp_path / "last", "last.pt"))
    assert not same_weights(best["model"], weights(tmp_path / "best", "last.pt"))
    refused = run_script("03_train_cnn_lstm.py", *TINY_TRAIN, "--keep", "last", "--patience", "1", "--out",
                         tmp_path / "both", cwd=pipeline, check=False)
    assert refused.returncode != 0 and "--keep last" in refused.stderr and "Traceback" not in refused.stderr


# ---------------------------------------------------------------------------- determinism


def test_results_do_not_depend_on_loader_workers(pipeline, tmp_path):
    """Augmentation is drawn per (seed, epoch, clip), so loader processes draw what the main
    process would; two workers give the metrics of none (the run in `pipeline`)."""
    run_script("03_train_cnn_lstm.py", *TINY_TRAIN, "--workers", "2", "--out", tmp_path / "w2", cwd=pipeline)
    assert metrics_but_seconds(tmp_path / "w2") == metrics_but_seconds(pipeline / "runs/cnn_lstm")
    assert same_weights(weights(tmp_path / "w2"), weights(pipeline / "runs/cnn_lstm"))


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


# ---------------------------------------------------------------------------- torchrun


def test_torchrun_trains_with_two_processes_and_writes_one_set_of_outputs(pipeline, tmp_path):
    out = tmp_path / "ddp"
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
                             str(ROOT / "03_train_cnn_lstm.py"), *TINY_TRAIN, "--out", str(out)],
                            cwd=pipeline, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("epoch   1 |") == 1 and result.stdout.count("parameters") == 1  # rank 0 alone speaks
    assert "2 processes" in result.stdout
    assert [r["epoch"] for r in read(out / "metrics.csv")] == ["1"]
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "config.json", "last.pt", "metrics.csv"]
    assert common.read_json(out / "config.json")["world_size"] == 2
    # The whole validation split was scored: its AUC is the one 05 finds on the val split.
    run_script("05_evaluate.py", "--runs", out, "--split", "val", "--out", tmp_path / "report", cwd=pipeline)
    clip_auc = [r for r in read(tmp_path / "report/results.csv") if r["level"] == "clip"][0]["auc"]
    assert float(read(out / "metrics.csv")[0]["val_auc"]) == pytest.approx(float(clip_auc), abs=1e-3)


# ---------------------------------------------------------------------------- ablations


@pytest.fixture(scope="module")
def few_clips(pipeline, tmp_path_factory):
    """A clips folder with four train and four validation clips, two of each label: a step or two."""
    rows = read(pipeline / "data/clips/clips.csv")
    keep = []
    for split in ("train", "val"):
        for label in ("0", "1"):
            keep += [r for r in rows if r["split"] == split and r["label"] == label][:2]
    clips = tmp_path_factory.mktemp("few") / "clips"
    common.write_csv(clips / "clips.csv", keep, list(rows[0]))
    common.write_json(clips / "settings.json", {"faces": str(pipeline / "data/faces")})
    return clips


def train_in_process(script, clips, out, *extra):
    """main() of 03 or 04, as `python script ...` would run it, in this process (quicker)."""
    module = importlib.import_module(script.removesuffix(".py"))
    module.main(["--clips", str(clips), "--out", str(out), "--epochs", "1", "--batch-size", "2", *extra])


@pytest.mark.parametrize("script", ["03_train_cnn_lstm.py", "04_train_3dcnn.py"])
@pytest.mark.parametrize("region", list(common.REGIONS))
@pytest.mark.parametrize("input", common.INPUTS)
def test_every_region_and_input_trains(script, region, input, few_clips, tmp_path):
    train_in_process(script, few_clips, tmp_path, "--region", region, "--input", input)
    config = common.read_json(tmp_path / "config.json")
    assert (config["region"], config["input"]) == (region, input)
    assert np.isfinite(float(read(tmp_path / "metrics.csv")[0]["train_loss"]))
    model = common.build_model(config)
    model.load_state_dict(weights(tmp_path))  # 05 rebuilds exactly what was trained


@pytest.mark.parametrize("flags", [["--schedule", "cosine", "--clip-grad", "0"], ["--schedule", "constant"],
                                   ["--temporal", "gru", "--bidirectional"]])
def test_schedules_and_other_flags_train(flags, few_clips, tmp_path):
    train_in_process("03_train_cnn_lstm.py", few_clips, tmp_path, *flags)
    assert len(read(tmp_path / "metrics.csv")) == 1


def test_the_schedules_follow_their_shapes():
    def lrs(name):
        args = argparse.Namespace(lr=1.0, weight_decay=0.0, epochs=2, schedule=name)
        opt, sched = common.make_optimizer(torch.nn.Linear(1, 1), args, steps_per_epoch=5)
        out = []
        for _ in range(10):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out

    onecycle, cosine, constant = lrs("onecycle"), lrs("cosine"), lrs("constant")
    assert onecycle[0] < onecycle[2] and max(onecycle) == pytest.approx(1.0) and onecycle[-1] < 0.1  # warm-up, decay
    assert cosine[0] == 1.0 and all(a > b for a, b in zip(cosine, cosine[1:]))
    assert constant == [1.0] * 10


def test_early_stopping_waits_patience_epochs(few_clips, tmp_path, monkeypatch, capsys):
    # A validation AUC that never improves after epoch 1: with --patience 2, epochs 2 and 3 pass
    # without improvement and training stops there, not at --epochs 6.
    monkeypatch.setattr(common, "binary_metrics", lambda y, p, threshold=0.5: {"accuracy": 0.5, "f1": 0.5, "auc": 0.5})
    train_in_process("03_train_cnn_lstm.py", few_clips, tmp_path, "--epochs", "6", "--patience", "2")
    assert [r["epoch"] for r in read(tmp_path / "metrics.csv")] == ["1", "2", "3"]
    assert "early stop" in capsys.readouterr().out
    train_in_process("03_train_cnn_lstm.py", few_clips, tmp_path, "--epochs", "6", "--patience", "2", "--resume")
    assert len(read(tmp_path / "metrics.csv")) == 3  # a stopped run stays stopped


def test_clip_len_longer_than_the_clips_or_too_short_for_c3d_is_explained(few_clips, tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        train_in_process("03_train_cnn_lstm.py", few_clips, tmp_path, "--clip-len", "20")
    assert "shorter than 20 frames" in str(err.value) and "--clip-len" in str(err.value)
    with pytest.raises(SystemExit) as err:
        train_in_process("04_train_3dcnn.py", few_clips, tmp_path, "--clip-len", "2")
    assert "C3D needs 4 frames or more" in str(err.value)


def test_regions_cut_the_right_band():
    frame = np.zeros((32, 32, 3), np.uint8)
    frame[16:] = 255  # the upper half black, the lower half white
    clip = np.stack([frame] * 4)
    face, mouth, eyes = (common.clip_to_tensor(clip, r) for r in ("face", "mouth", "eyes"))
    assert face.shape == mouth.shape == eyes.shape == (4, 3, 32, 32)
    assert torch.all(mouth == 1.0) and torch.all(eyes == -1.0) and face.min() == -1.0 and face.max() == 1.0


def test_the_lips_keep_a_large_crops_own_pixels():
    """Of a 128-px crop for a 64-px model, 'lips' is a 64 x 64 block taken as it is (no resampling:
    the mouth at the face's own resolution, where the whole face is averaged down to 64 px)."""
    clip = np.random.default_rng(0).integers(0, 256, (2, 128, 128, 3), dtype=np.uint8)
    lips, face = common.clip_to_tensor(clip, "lips", 64), common.clip_to_tensor(clip, "face", 64)
    top, _, left, _ = common.REGIONS["lips"]
    block = clip[:, round(top * 128):round(top * 128) + 64, round(left * 128):round(left * 128) + 64]
    assert lips.shape == face.shape == (2, 3, 64, 64)
    assert torch.allclose(lips, torch.from_numpy(block).permute(0, 3, 1, 2).float() / 127.5 - 1.0)


def test_evaluation_prepares_clips_as_training_did(pipeline, tmp_path):
    """A run trained on the mouth in 4-frame windows is scored by 05 on the centre 4 frames of each
    test clip, mouth only; --video cuts 4-frame windows."""
    run = tmp_path / "mouth4"
    run_script("04_train_3dcnn.py", *TINY_TRAIN, "--region", "mouth", "--clip-len", "4", "--out", run, cwd=pipeline)
    run_script("05_evaluate.py", "--runs", run, "--out", tmp_path / "report", cwd=pipeline)
    ckpt = torch.load(run / "best.pt", weights_only=True)
    model = common.build_model(ckpt["config"])
    model.load_state_dict(ckpt["model"])
    model.eval()
    test_rows = [r for r in read(pipeline / "data/clips/clips.csv") if r["split"] == "test"][:10]
    expected = {}
    with torch.no_grad():
        for r in test_rows:
            start = int(r["start"]) + (int(r["length"]) - 4) // 2
            faces = np.load(pipeline / f"data/faces/{r['video_id']}.npy")[start : start + 4]
            expected[r["clip_id"]] = torch.sigmoid(model(common.clip_to_tensor(faces, "mouth")[None]))[0].item()
    scored = {p["id"]: float(p["prob"]) for p in read(tmp_path / "report/predictions_mouth4.csv") if p["level"] == "clip"}
    for clip_id, p in expected.items():
        assert scored[clip_id] == pytest.approx(p, abs=1e-5)
    out = run_script("05_evaluate.py", "--runs", run, "--video", "data/videos/fake/Blink/id001.mp4", "--timeline",
                     cwd=pipeline).stdout
    spans = [float(b) - float(a) for a, b in re.findall(r"(\d+\.\d+)-\s*(\d+\.\d+) s", out)]
    assert spans and all(s == pytest.approx(4 / 25, abs=0.011) for s in spans)
