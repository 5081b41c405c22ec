"""Every number says where it came from: provenance in runs, reports and verdicts; no report that
mixes test sets; 'next:' hints that keep the user's paths; the shipped weights."""

import csv
import importlib.util
import re
import shlex

import torch
from conftest import REAL_CLIPS, ROOT, TINY_TRAIN, needs_shared, run_script

import common


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def follow(hint_output: str, cwd, *extra):
    """Run the command of the last 'next:' line a script printed, literally (plus `extra` flags)."""
    line = [ln for ln in hint_output.splitlines() if "next: python " in ln][-1]
    words = shlex.split(line.split("next: python ", 1)[1])
    return run_script(words[0], *words[1:], *extra, cwd=cwd)


def test_runs_and_reports_say_what_they_learned_from(pipeline):
    config = common.read_json(pipeline / "runs/c3d/config.json")
    assert config["data"]["synthetic"] is True and "synthetic demo" in config["data"]["trained_on"]
    assert config["data"]["train_clips"] and set(config["data"]["val_clips"]) <= {"real", *common.DEMO_METHODS}
    assert torch.load(pipeline / "runs/c3d/best.pt", weights_only=True)["config"]["data"] == config["data"]
    report = (pipeline / "runs/report/report.md").read_text()
    assert "Synthetic demo data" in report and "Tested on" in report and "learned from the synthetic demo" in report
    for row in read(pipeline / "runs/report/results.csv"):
        assert "synthetic demo" in row["trained_on"] and "data/clips" in row["tested_on"]


def test_05_never_puts_two_test_sets_in_one_report(pipeline, tmp_path):
    """A demo run and a run on other clips: 05 with no arguments refuses and says how to split."""
    work = tmp_path / "work"
    (work / "runs").mkdir(parents=True)
    for name in ("data", ):
        (work / name).symlink_to(pipeline / name)
    (work / "runs" / "c3d").symlink_to(pipeline / "runs" / "c3d")
    run_script("02_make_clips.py", "--out", "data_other/clips", "--clip-len", "8", "--stride", "4", "--seed", "3",
               cwd=work)
    run_script("04_train_3dcnn.py", "--clips", "data_other/clips", "--out", "runs/c3d_other", *TINY_TRAIN, cwd=work)
    mixed = run_script("05_evaluate.py", cwd=work, check=False)
    assert mixed.returncode != 0 and "Traceback" not in mixed.stderr
    assert "data/clips: c3d" in mixed.stderr and "data_other/clips: c3d_other" in mixed.stderr
    assert not (work / "runs/report").exists()  # nothing half-written
    # each suggested command makes one report, which names its own data
    for command in re.findall(r"python (05_evaluate\.py .*)", mixed.stderr):
        words = shlex.split(command)
        run_script(*words, "--bootstrap", "50", cwd=work)
        out = words[words.index("--out") + 1]
        rows = read(work / out / "results.csv")
        assert len({r["tested_on"] for r in rows}) == 1 and len({r["model"] for r in rows}) == 1
    # one explicit test set for both is fine: a cross-dataset report
    run_script("05_evaluate.py", "--clips", "data/clips", "--out", "runs/report_both", "--bootstrap", "50", cwd=work)
    assert {r["model"] for r in read(work / "runs/report_both/results.csv")} == {"c3d", "c3d_other"}


@needs_shared(REAL_CLIPS)
def test_a_demo_model_warns_when_it_judges_real_footage(pipeline):
    clip = sorted((REAL_CLIPS / "mead").glob("*.mp4"))[0]
    out = run_script("05_evaluate.py", "--video", clip, "--runs", "runs/c3d", cwd=pipeline).stdout
    assert "learned from the synthetic demo" in out and "not meaningful" in out
    demo = run_script("05_evaluate.py", "--video", "data/videos/real/id000.mp4", "--runs", "runs/c3d", cwd=pipeline).stdout
    assert "not meaningful" not in demo  # a demo model on a demo video: nothing to warn about


def test_the_next_hints_keep_the_users_paths(tmp_path):
    first = run_script("01_extract_faces.py", "--demo", "--identities", "6", "--frames", "40", "--videos", "my/videos",
                       "--out", "my/faces_x", cwd=tmp_path).stdout
    second = follow(first, tmp_path, "--clip-len", "8", "--stride", "8").stdout
    assert (tmp_path / "my/clips_x/clips.csv").is_file() and not (tmp_path / "data").exists()
    third = follow(second, tmp_path, *TINY_TRAIN).stdout
    assert common.read_json(tmp_path / "runs/cnn_lstm/config.json")["clips"] == "my/clips_x"
    follow(third, tmp_path, "--bootstrap", "50")
    report, = tmp_path.glob("runs/report*/results.csv")
    assert {r["tested_on"].split(":")[0] for r in read(report)} == {"test split of my/clips_x"}


def test_the_shipped_weights_load_as_data_and_run():
    assert set(load_evaluate().VERDICT) <= {p.parent.name for p in (ROOT / "weights").glob("*/best.pt")}
    for name in ("c3d", "cnn_lstm", "cnn_lstm_lips"):
        ckpt = torch.load(ROOT / "weights" / name / "best.pt", weights_only=True)
        model = common.build_model(ckpt["config"])
        model.load_state_dict(ckpt["model"])
        size = ckpt["config"].get("input_size") or ckpt["config"]["face_settings"]["size"]  # what the model reads
        clip = torch.zeros(2, ckpt["config"]["clip_len"], 3, size, size)
        assert model.eval()(clip).shape == (2,)
        assert ckpt["config"]["data"]["synthetic"] is False and 0 < ckpt["threshold"] < 1
        assert ckpt["config"]["face_settings"]["detector"] == "yunet" and not ckpt["config"]["face_settings"]["detector_model"]
        assert (ROOT / "weights" / name / "best.pt").stat().st_size < 2_000_000


@needs_shared(REAL_CLIPS)
def test_video_without_runs_uses_the_shipped_weights(tmp_path):
    clip = sorted((REAL_CLIPS / "grid").glob("*.mpg"))[0]
    out = run_script("05_evaluate.py", "--video", clip, "--save-plot", cwd=tmp_path).stdout
    assert "shipped weights" in out and "not meaningful" not in out
    verdicts = re.findall(r"(\w+): P\(fake\) = ([0-9.]+) -> (FAKE|real)", out)
    assert {name for name, _, _ in verdicts} == {"cnn_lstm", "cnn_lstm_lips"}  # the verdict's members; the C3D on request
    assert all(0 <= float(p) <= 1 for _, p, _ in verdicts)
    assert not re.search(r"\d+\.\d\d- +\d+\.\d\d s", out)  # the per-clip timeline only with --timeline
    assert (tmp_path / "runs/report" / f"{clip.stem}_timeline.png").is_file()
    assert not list(tmp_path.glob("*.png"))  # never in the current folder


@needs_shared(REAL_CLIPS)
def test_one_verdict_with_its_band_and_a_warning_for_a_video_the_weights_learned_from(tmp_path):
    clip = sorted((REAL_CLIPS / "grid").glob("*.mpg"))[0]  # in benchmarks/shared_videos.csv
    renamed = tmp_path / "my_own_video.mpg"  # the same content under another name: found by its sha256
    renamed.write_bytes(clip.read_bytes())
    out = run_script("05_evaluate.py", "--video", renamed, "--timeline", cwd=tmp_path).stdout
    verdict = out[out.index("VERDICT"):]
    assert len(re.findall(r"VERDICT on my_own_video\.mpg: (FAKE|REAL|UNCERTAIN \(leaning (fake|real)\))\n", out)) == 1
    assert "within 0.05 of the threshold" in verdict and "cnn_lstm_lips 0." in verdict and "cnn_lstm 0." in verdict
    # Listed by the shipped weights' manifest; or, in a checkout that ran the recipe, by its own clips.csv.
    assert "learned from this very video" in verdict
    assert "benchmarks/shared_videos.csv" in verdict or "data/clips_ship/clips.csv" in verdict
    assert "caution:" in verdict  # beside the verdict, not above the timeline
    assert re.search(r"\d+\.\d\d- +\d+\.\d\d s", out[: out.index("VERDICT")])  # --timeline: printed
    words = [line for line in verdict.splitlines() if "P(fake)" in line]
    assert words and all("disagree" not in w for w in words)


def load_evaluate():
    spec = importlib.util.spec_from_file_location("evaluate", ROOT / "05_evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_verdict_has_a_band_and_says_when_the_models_disagree(capsys, tmp_path):
    ev = load_evaluate()
    assert ev.verdict_line(0.60, 0.50) == "FAKE" and ev.verdict_line(0.40, 0.50) == "REAL"
    assert ev.verdict_line(0.52, 0.50) == "UNCERTAIN (leaning fake)" and ev.verdict_line(0.49, 0.50) == "UNCERTAIN (leaning real)"
    ev.print_verdict(tmp_path / "v.mp4", {"c3d": 0.55, "cnn_lstm": 0.44}, {"c3d": 0.5, "cnn_lstm": 0.5}, [], True)
    out = capsys.readouterr().out
    assert "VERDICT on v.mp4: UNCERTAIN (leaning real)" in out and "the models disagree: c3d says fake, cnn_lstm says real" in out
    assert "c3d 0.550 (threshold 0.500), cnn_lstm 0.440 (threshold 0.500)" in out and "caution:" in out
    ev.print_verdict(tmp_path / "v.mp4", {"c3d": 0.75, "cnn_lstm": 0.65}, {"c3d": 0.5, "cnn_lstm": 0.5}, [], True)
    out = capsys.readouterr().out
    assert "VERDICT on v.mp4: FAKE" in out and "disagree" not in out


def test_the_videos_a_run_learned_from_are_known_by_content(tmp_path, monkeypatch):
    ev = load_evaluate()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "a.mp4").write_bytes(b"first video")
    common.write_csv(tmp_path / "list.csv", [{"path": "videos/a.mp4", "label": "real"}], ["path", "label"])
    config = {"data": {"source": {"kind": "manifest", "path": "list.csv"}}}
    hashes, listing = ev.trained_videos(config)  # no sha256 column: the listed files' own
    assert hashes == {common.sha256_of(tmp_path / "videos" / "a.mp4")} and listing.endswith("list.csv")
    shipped = torch.load(ROOT / "weights" / "c3d" / "best.pt", weights_only=True)["config"]
    shipped["clips"] = "not/here"  # as in a fresh clone, where the recipe's clips were never cut
    hashes, listing = ev.trained_videos(shipped)  # the shipped weights: benchmarks/shared_videos.csv's sha256 column
    manifest = read(ROOT / "benchmarks" / "shared_videos.csv")
    assert hashes == {r["sha256"] for r in manifest} and listing == "benchmarks/shared_videos.csv"
