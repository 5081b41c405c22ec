"""Step 2: face arrays -> fixed-length clips and a leakage-free train/val/test split.

Reads   --faces (default data/faces): index.csv and each video's .meta.npz (from 01)
Writes  --out (default data/clips):
          clips.csv      clip_id, video_id, start, length, label, group, method, split
          settings.json  the settings of this step and of face extraction
A clip is a window of --clip-len consecutive face crops, every --stride frames; it never spans
a gap in the face track. Nothing is copied: training reads the windows from the face arrays.

Videos are split by GROUP (the person): all videos of one person, real and fake, land in the same
split. Splitting clips or videos at random would put someone's real video in training and their
fake in testing, and the model would score well by recognising people, not fakes.

Official splits (index.csv's split column, from FaceForensics++'s split files, Celeb-DF's test
list or a manifest) are honoured: an official test set is used as published, and so is an
official validation set; whatever has no official place is split by group into train (and val,
when there is no official one). A video with no official split whose group has an official test
or val place is set aside: training on it would leak. A group that the official split itself puts
in two places is refused. --ignore-official splits everything by group instead.

A set of real videos alone is fine: 03/04 --pseudo-fakes train on it (every real clip paired with
a fake made from it). A set that is only to be judged by models trained elsewhere (a cross-dataset
test, your own fakes) takes --all-test: every video goes to the test split.

How well does a detector find fakes of a generator it has never seen? --folds K answers it by
leave-generator-out cross-validation: K clip folders, fold k testing the fakes of its generators
and the real videos of its people, training on the rest but those people. One model per fold,
then 05_evaluate.py --pool scores every video once, by the model that never saw its generator
or its person (docs/real-footage.md, "Choosing by transfer").

The code: main() below; the clips and splits are in common.py, section 4 "Datasets, groups, splits and folds":
common.clip_windows (windows that never span a gap), common.group_split (by person),
common.leave_generator_out (--folds). In what order to read them: docs/reading-the-code.md.

Run:
    python 02_make_clips.py                          # 16-frame clips, 60/20/20 split
    python 02_make_clips.py --clip-len 32 --stride 16
    python 02_make_clips.py --balance                # as many real as fake clips in train
    python 02_make_clips.py --faces data/faces_real --out data/clips_real --test 0 --seed 1   # the first recipe (docs/real-footage.md)
    python 02_make_clips.py --faces data/faces_dev --out data/clips_dev --all-test          # a set to judge
    python 02_make_clips.py --faces data/faces_all --out data/clips_logo --folds 4 --same-person weights/same_person.csv
                                                   # leave-generator-out folds (docs/real-footage.md, "Choosing by transfer")
    python 02_make_clips.py --faces data/faces_shared --out data/clips_th/seed_0 --folds 4 --seed 0 \\
        --same-person weights/same_person.csv --families "talking head"   # the talking-head protocol
"""

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

import common


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--faces", default="data/faces", help="folder with index.csv from 01 (default: %(default)s)")
    p.add_argument("--out", default="data/clips", help="where clips.csv goes (default: %(default)s)")
    p.add_argument("--clip-len", type=int, default=16, help="frames per clip (default: %(default)s)")
    p.add_argument("--stride", type=int, default=8, help="frames between the starts of two clips (default: %(default)s)")
    p.add_argument("--val", type=float, default=0.2, help="fraction of groups for validation; 0 = none (default: %(default)s)")
    p.add_argument("--test", type=float, default=0.2, help="fraction of groups for testing; 0 = none (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split (default: %(default)s)")
    p.add_argument("--all-test", action="store_true",
                   help="put every video in the test split: a set to judge with models trained elsewhere (a "
                        "cross-dataset test, your own fakes); 05 --clips DIR tests on it")
    p.add_argument("--ignore-official", action="store_true", help="split every video by group, ignoring an official split")
    p.add_argument("--same-person", default=None, metavar="CSV",
                   help="a table group,person: every group listed is renamed to its person before splitting, so "
                        "that one person filed under two names (two datasets, two sources) is never in two splits "
                        "(weights/same_person.csv does this for the project's shared test material)")
    p.add_argument("--folds", type=int, default=0, metavar="K",
                   help="leave-generator-out cross-validation: write K clip folders OUT/fold_1 ... OUT/fold_K; fold k "
                        "tests the fakes of its generators and the real videos of its people, and trains on everything "
                        "else but those people (videos whose official split is 'train' are never tested). Train one "
                        "model per fold, then pool their test scores with 05_evaluate.py --pool (default: no folds)")
    p.add_argument("--families", default="", metavar="LIST",
                   help="keep only the fakes of these families of generators (comma-separated, of "
                        f"{', '.join(common.FAMILIES)}; common.GENERATOR_FAMILIES files each generator), and every "
                        "real video. With --folds, the talking-head protocol: --families 'talking head' leaves each "
                        "talking-head generator out while the other talking-head generators train, as "
                        "TalkingHeadBench's protocol 2 does (default: every fake)")
    p.add_argument("--balance", action="store_true",
                   help="drop clips of the larger class from train, at random, until both classes have as many; val and "
                        "test keep their natural mix (training already weighs the classes, so this is an alternative)")
    args = p.parse_args(argv)
    if args.folds and (args.all_test or args.folds < 2):
        p.error("--folds K needs K >= 2 and does not combine with --all-test")
    args.families = [f.strip() for f in args.families.split(",") if f.strip()]
    unknown = [f for f in args.families if f not in common.FAMILIES]
    if unknown:
        p.error(f"--families {unknown[0]!r}: expected one or more of {', '.join(common.FAMILIES)}, separated by commas")
    if args.all_test:
        args.val, args.test = 0.0, 1.0
    elif not (0 <= args.val < 1 and 0 <= args.test < 1 and args.val + args.test < 1):
        p.error(f"--val {args.val} --test {args.test}: each is a fraction of the groups, in [0, 1), and together "
                "they must leave some for training. For a set that is only to be tested, use --all-test.")
    return args


def assign_splits(videos: list[dict], args) -> tuple[dict[str, str], list[dict]]:
    """{video_id: split} for the videos that get one, and the videos set aside (see the docstring above)."""
    official = {} if args.ignore_official else {v["video_id"]: v["split"] for v in videos if v["split"]}
    places = defaultdict(set)  # group -> its official splits
    for v in videos:
        if v["video_id"] in official:
            places[v["group"]].add(official[v["video_id"]])
    torn = sorted(g for g, s in places.items() if len(s) > 1)
    if torn:
        sys.exit(f"error: the official split puts {len(torn)} groups in more than one split, e.g. group {torn[0]!r} in "
                 f"{' and '.join(sorted(places[torn[0]]))}; a person in two splits leaks. Fix the split files or "
                 "the manifest, or use --ignore-official to split by group.")
    if official and "test" not in official.values():
        print("note: the official split has no test part; it is ignored and every video is split by group")
        official, places = {}, defaultdict(set)

    groups = [v["group"] for v in videos]
    labels = [int(v["label"]) for v in videos]
    if args.all_test:  # a set to judge: no training here, so no split to make
        return {v["video_id"]: "test" for v in videos}, []
    if not official:  # no official split: train/val/test by group
        needed = 1 + (args.val > 0) + (args.test > 0)
        if len(set(groups)) < needed:
            sys.exit(f"error: {len(videos)} usable videos in {len(set(groups))} groups; this split needs at least "
                     f"{needed} groups (one person is never in two splits).")
        split_of_group = common.group_split(groups, labels, args.val, args.test, args.seed)
        return {v["video_id"]: split_of_group[v["group"]] for v in videos}, []

    # The official test (and val) sets as published; the rest of the videos form the training pool,
    # except those of a person the official test or val set holds.
    split_of_video = dict(official)
    set_aside = [v for v in videos if v["video_id"] not in official and places[v["group"]] & {"val", "test"}]
    pool = [v for v in videos if v["video_id"] not in official and not places[v["group"]] & {"val", "test"}]
    split_of_video.update({v["video_id"]: "train" for v in pool})
    if "train" not in split_of_video.values():
        sys.exit(f"error: the official split gives every one of the {len(videos)} videos a test or val place, so "
                 "nothing is left to train on. For a set that is only to be tested with models trained elsewhere, "
                 "use --all-test; to split it by group instead, --ignore-official.")
    if "val" not in official.values():  # carve validation groups out of the training pool
        train = [v for v in videos if split_of_video.get(v["video_id"]) == "train"]
        val_groups = common.group_holdout([v["group"] for v in train], [int(v["label"]) for v in train],
                                          args.val / (1 - args.test), args.seed)
        split_of_video.update({v["video_id"]: "val" for v in train if v["group"] in val_groups})
    return split_of_video, set_aside


def balance_train(rows: list[dict], seed: int) -> list[dict]:
    """Drop clips of the larger class from the train split until both classes have as many.

    The clips kept are spread over the videos (each video's clips in random order, then the first
    clip of every video, then the second, ...), so that every video and method stays in training.
    """
    rng = np.random.default_rng(seed)
    train = [r for r in rows if r["split"] == "train"]
    by_label = {label: [r for r in train if r["label"] == label] for label in ("0", "1")}
    small = min(len(part) for part in by_label.values())
    keep = set()
    for part in by_label.values():
        rank, order = Counter(), []
        for i in rng.permutation(len(part)):
            order.append((rank[part[i]["video_id"]], len(order), part[i]["clip_id"]))
            rank[part[i]["video_id"]] += 1
        keep.update(clip_id for _, _, clip_id in sorted(order)[:small])
    print(f"--balance: dropped {len(train) - 2 * small} of {len(train)} train clips; {small} real and {small} fake remain")
    return [r for r in rows if r["split"] != "train" or r["clip_id"] in keep]


def print_counts(rows: list[dict], clip_len: int) -> None:
    """Groups, videos and clips per split, then clips per method: one line per method, so that
    the table fits a terminal however many methods there are."""
    print(f"{len(rows)} clips of {clip_len} frames from {len({r['video_id'] for r in rows})} videos "
          f"({len({r['group'] for r in rows})} groups)")
    splits = ("train", "val", "test")
    parts = {name: [r for r in rows if r["split"] == name] for name in splits}
    print(f"{'':<24}" + "".join(f"{name:>10}" for name in splits))
    for what, count in (("groups", lambda part: len({r["group"] for r in part})),
                        ("videos", lambda part: len({r["video_id"] for r in part})),
                        ("clips, real", lambda part: sum(r["label"] == "0" for r in part)),
                        ("clips, fake", lambda part: sum(r["label"] == "1" for r in part))):
        print(f"{what:<24}" + "".join(f"{count(parts[name]):>10}" for name in splits))
    methods = sorted({r["method"] for r in rows if r["label"] == "1"})
    if methods:
        print("fake clips per method:")
        width = max(22, *(len(m) for m in methods))  # the whole name: two generators may share a prefix
        for m in methods:
            print(f"  {m:<{width}}" + "".join(f"{sum(r['method'] == m for r in parts[name]):>10}" for name in splits))


def check_splits(rows: list[dict], args) -> None:
    """Stop with a message when a split that should exist is empty or, in a set with both classes,
    holds one class only. A set of real videos alone is fine: it is for training with pseudo-fakes."""
    wanted = {"test": args.test > 0, "val": args.val > 0 and not args.all_test, "train": not args.all_test}
    real_only = {r["label"] for r in rows} == {"0"}
    hint = ". Add videos, or change --val/--test/--seed" + ("" if args.ignore_official else
                                                            " (or --ignore-official, if an official split is the cause)") + "."
    for name in ("train", "val", "test"):
        part = [r for r in rows if r["split"] == name]
        if wanted[name] and not part:
            sys.exit(f"error: the {name} split would be empty" + (" (for a set that is only to be tested, with models "
                                                                  "trained elsewhere, use --all-test)" if name == "train"
                                                                  else "") + hint)
        if part and len({r["label"] for r in part}) < 2 and not real_only and not args.all_test:
            sys.exit(f"error: the {name} split would hold {len(part)} clips of a single class "
                     f"({'fake' if part[0]['label'] == '1' else 'real'})" + hint)
    if args.all_test and len({r["label"] for r in rows}) < 2:
        print(f"note: every test video is {'real' if real_only else 'fake'}; 05 can report detection rates, "
              "but not ROC-AUC, which needs both")
    elif real_only:
        print("note: real videos only: train on them with --pseudo-fakes (03, 04), which pairs every real clip with "
              "a fake made from it; test on genuine fakes with 05 --clips (a set made with --all-test)")


def main(argv=None):
    args = parse_args(argv)
    faces, out = Path(args.faces), Path(args.out)
    if not (faces / "index.csv").is_file():
        sys.exit(f"error: {faces / 'index.csv'} not found. Run 01_extract_faces.py first.")
    # Videos with face arrays; a too_short one may still fit a shorter --clip-len.
    videos = [r for r in common.read_csv(faces / "index.csv") if r["status"] in ("ok", "truncated", "too_short")]
    if args.same_person:
        try:
            same_person = common.read_same_person(Path(args.same_person))
        except (OSError, ValueError) as err:
            sys.exit(f"error: --same-person {args.same_person}: {err}")
        joined = sum(v["group"] in same_person for v in videos)
        videos = common.join_groups(videos, same_person)
        print(f"--same-person: {joined} videos renamed to their person ({len(set(same_person.values()))} people)")

    if args.families:  # one family's generators only (the talking-head protocol); the real videos all stay
        dropped = [v for v in videos if v["label"] == "1" and common.family_of(v["method"]) not in args.families]
        videos = [v for v in videos if v not in dropped]
        print(f"--families {', '.join(args.families)}: left out {len(dropped)} fakes of other families; "
              f"{sum(v['label'] == '1' for v in videos)} fakes of "
              f"{len({v['method'] for v in videos if v['label'] == '1'})} generators remain")

    # Cut each video into windows of consecutive frames (the meta file knows where the gaps are).
    clips_per_video = {}
    for v in videos:
        frame_idx = np.load(faces / f"{v['video_id']}.meta.npz")["frame_idx"]
        clips_per_video[v["video_id"]] = common.clip_windows(frame_idx, args.clip_len, args.stride)
    too_short = [v for v in videos if not clips_per_video[v["video_id"]]]
    for v in too_short:
        print(f"warning: {v['path']}: fewer than {args.clip_len} consecutive face frames; no clip")
    videos = [v for v in videos if clips_per_video[v["video_id"]]]
    if args.folds:
        return write_folds(videos, clips_per_video, args, faces, out)

    try:
        split_of_video, set_aside = assign_splits(videos, args)
    except ValueError as err:  # scikit-learn cannot make the folds: too few groups of a class
        sys.exit(f"error: cannot split {len(videos)} videos of {len({v['group'] for v in videos})} groups by group ({err}). "
                 "Add videos, or change --val/--test.")
    if set_aside:
        print(f"set aside {len(set_aside)} videos without an official split whose person is in the official "
              f"test or val set (e.g. {set_aside[0]['video_id']}): training on them would leak")
    rows = clip_rows([v for v in videos if v["video_id"] in split_of_video], clips_per_video, split_of_video, args)
    if args.balance:
        rows = balance_train(rows, args.seed)
    check_splits(rows, args)
    write_clips(rows, out, faces, args)
    print_counts(rows, args.clip_len)
    if args.all_test:  # nothing to train here: this set is for models trained on other clips
        hint = f"next: python 05_evaluate.py --runs RUN [RUN ...] --clips {out} --out {common.report_folder(out)}"
    else:
        hint = training_hint(rows, out, faces, args)
    print(f"wrote {out / 'clips.csv'}; {hint}")


# The recipe's training flags (docs/real-footage.md, "The recipe"), which the hint gives for real footage.
RECIPE = {"pseudo_fakes": "selfblend", "clip_len": 16, "input_size": 64, "clips_per_video": 4, "epochs": 5}
# The CNN-LSTM's own: it reads the mouth band and trains so that quality cannot tell real from fake
# (issue 'Judge the face, not the footage'); the C3D and the frame baseline were estimated without them.
CNN_LSTM_RECIPE = " --degrade 0.8 --match-sharpness --compress 0.8 --region mouth"


def training_hint(rows: list[dict], out: Path, faces: Path, args) -> str:
    """The 'next:' line: the 03 command for these clips. The demo trains with 03's defaults. Real
    footage gets the recipe's flags, so that following the hint trains what the docs measured: a
    self-blended pseudo-fake of every real clip, 16-frame windows of longer clips, crops larger than
    64 px shrunk to 64 (the fakes are made at the face's resolution first), four clips per video,
    five epochs, the CNN-LSTM's mouth band and degradations, and the run named after the clips
    (data/clips_all -> runs/all/cnn_lstm)."""
    settings = common.read_json(faces / "settings.json") if (faces / "settings.json").is_file() else {}
    if common.is_synthetic(settings.get("source")) or not settings:
        real_only = {r["label"] for r in rows} == {"0"}
        return common.next_step("03_train_cnn_lstm.py", {"clips": (out, "data/clips")},
                                " --pseudo-fakes all" if real_only else "")
    flags = f" --pseudo-fakes {RECIPE['pseudo_fakes']}"
    if settings.get("size", 0) > RECIPE["input_size"]:
        flags += f" --input-size {RECIPE['input_size']}"
    if args.clip_len > RECIPE["clip_len"]:
        flags += f" --clip-len {RECIPE['clip_len']}"
    flags += f" --clips-per-video {RECIPE['clips_per_video']} --epochs {RECIPE['epochs']}"
    name = out.name[len("clips_"):] if out.name.startswith("clips_") else ""
    print("real footage: the command below has the recipe's training flags (docs/real-footage.md, 'The recipe'); "
          f"04_train_3dcnn.py takes them without{CNN_LSTM_RECIPE}{f' and with --out runs/{name}/c3d' if name else ''}, "
          f"and the frame baseline is 03 with them, less{CNN_LSTM_RECIPE}, plus --temporal mean"
          f"{f' --out runs/{name}/frame_baseline' if name else ' --out runs/frame_baseline'}")
    flags += CNN_LSTM_RECIPE
    if name:
        flags += f" --out runs/{name}/cnn_lstm"
    return common.next_step("03_train_cnn_lstm.py", {"clips": (out, "data/clips")}, flags)


def clip_rows(videos: list[dict], clips_per_video: dict[str, list[int]], split_of_video: dict[str, str], args) -> list[dict]:
    """clips.csv's rows: every window of every video, with the video's split. The property
    everything downstream relies on is checked here: no group in two splits."""
    rows = []
    for v in videos:
        for start in clips_per_video[v["video_id"]]:
            rows.append({"clip_id": f"{v['video_id']}@{start}", "video_id": v["video_id"], "start": start,
                         "length": args.clip_len, "label": v["label"], "group": v["group"], "method": v["method"],
                         "split": split_of_video[v["video_id"]]})
    assert all(len({r["split"] for r in rows if r["group"] == g}) == 1 for g in {r["group"] for r in rows})
    return rows


def write_clips(rows: list[dict], out: Path, faces: Path, args, **extra) -> None:
    """clips.csv and settings.json (this step's settings and face extraction's) in `out`."""
    common.write_csv(out / "clips.csv", rows, common.CLIP_FIELDS)
    face_settings = common.read_json(faces / "settings.json") if (faces / "settings.json").is_file() else {}
    counts = {name: dict(Counter(r["method"] for r in rows if r["split"] == name)) for name in ("train", "val", "test")}
    common.write_json(out / "settings.json", {"faces": str(faces), "clip_len": args.clip_len, "stride": args.stride,
                                              "val": args.val, "test": args.test, "seed": args.seed,
                                              "all_test": args.all_test, "ignore_official": args.ignore_official,
                                              "balance": args.balance, "same_person": args.same_person,
                                              "families": args.families, **extra,
                                              "clips_per_method": counts, "face_settings": face_settings})


def write_folds(videos: list[dict], clips_per_video: dict[str, list[int]], args, faces: Path, out: Path) -> None:
    """--folds K: one clip folder per fold of common.leave_generator_out, and folds.csv (which fold
    tests each video). A video absent from a fold's clips.csv is a person that fold tests, left out
    of its training."""
    try:
        splits = common.leave_generator_out(videos, args.folds, args.seed, val=args.val)
    except ValueError as err:
        sys.exit(f"error: --folds {args.folds}: {err}")
    tested = {}
    for k, split in enumerate(splits, 1):
        rows = clip_rows([v for v in videos if v["video_id"] in split], clips_per_video, split, args)
        if args.balance:
            rows = balance_train(rows, args.seed)
        parts = Counter(r["split"] for r in rows)
        if not parts["train"] or not parts["test"]:
            sys.exit(f"error: fold {k} would have {parts['train']} train and {parts['test']} test clips; use fewer --folds")
        write_clips(rows, out / f"fold_{k}", faces, args, folds=args.folds, fold=k)
        tested.update({vid: k for vid, s in split.items() if s == "test"})
        test = [v for v in videos if split.get(v["video_id"]) == "test"]
        methods = sorted({v["method"] for v in test if v["label"] == "1"})
        print(f"fold {k}: test {sum(v['label'] == '0' for v in test)} real and {sum(v['label'] == '1' for v in test)} "
              f"fake videos ({', '.join(methods)}); train {parts['train']} clips, val {parts['val']}, "
              f"left out {len(videos) - len(split)} videos of the tested people")
    common.write_csv(out / "folds.csv", [{"video_id": v["video_id"], "label": v["label"], "group": v["group"],
                                          "method": v["method"], "family": common.family_of(v["method"]),
                                          "fold": tested.get(v["video_id"], "")} for v in videos],
                     ["video_id", "label", "group", "method", "family", "fold"])
    print(f"wrote {args.folds} clip folders {out}/fold_1 ... fold_{args.folds} and {out / 'folds.csv'}; next: train one "
          f"model per fold (--clips {out}/fold_K --out runs/NAME/fold_K/MODEL), then python 05_evaluate.py --pool "
          f"--runs runs/NAME/fold_*/MODEL --out {common.report_folder(out)}")


if __name__ == "__main__":
    main()
