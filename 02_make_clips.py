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

Run:
    python 02_make_clips.py                          # 16-frame clips, 60/20/20 split
    python 02_make_clips.py --clip-len 32 --stride 16
    python 02_make_clips.py --balance                # as many real as fake clips in train
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
    p.add_argument("--val", type=float, default=0.2, help="fraction of groups for validation (default: %(default)s)")
    p.add_argument("--test", type=float, default=0.2, help="fraction of groups for testing (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split (default: %(default)s)")
    p.add_argument("--ignore-official", action="store_true", help="split every video by group, ignoring an official split")
    p.add_argument("--balance", action="store_true",
                   help="drop clips of the larger class from train, at random, until both classes have as many; val and "
                        "test keep their natural mix (training already weighs the classes, so this is an alternative)")
    return p.parse_args(argv)


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
    if not official:  # no official split: train/val/test by group
        if len(set(groups)) < 3:
            sys.exit(f"error: {len(videos)} usable videos in {len(set(groups))} groups; "
                     "a train/val/test split needs at least 3 groups.")
        split_of_group = common.group_split(groups, labels, args.val, args.test, args.seed)
        return {v["video_id"]: split_of_group[v["group"]] for v in videos}, []

    # The official test (and val) sets as published; the rest of the videos form the training pool,
    # except those of a person the official test or val set holds.
    split_of_video = dict(official)
    set_aside = [v for v in videos if v["video_id"] not in official and places[v["group"]] & {"val", "test"}]
    pool = [v for v in videos if v["video_id"] not in official and not places[v["group"]] & {"val", "test"}]
    split_of_video.update({v["video_id"]: "train" for v in pool})
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
    """Groups, videos and clips per split; clips per label and per method of the fakes."""
    methods = sorted({r["method"] for r in rows if r["label"] == "1"})
    print(f"{len(rows)} clips of {clip_len} frames from {len({r['video_id'] for r in rows})} videos "
          f"({len({r['group'] for r in rows})} groups)")
    width = max(8, *(len(m) + 1 for m in methods))
    print(f"{'split':<6} {'groups':>6} {'videos':>6} | clips: {'real':>6} {'fake':>6} |"
          + "".join(f"{m:>{width}}" for m in methods))
    for name in ("train", "val", "test"):
        part = [r for r in rows if r["split"] == name]
        count, labels = Counter(r["method"] for r in part), Counter(r["label"] for r in part)
        print(f"{name:<6} {len({r['group'] for r in part}):>6} {len({r['video_id'] for r in part}):>6} |        "
              f"{labels['0']:>6} {labels['1']:>6} |" + "".join(f"{count[m]:>{width}}" for m in methods))


def main(argv=None):
    args = parse_args(argv)
    faces, out = Path(args.faces), Path(args.out)
    if not (faces / "index.csv").is_file():
        sys.exit(f"error: {faces / 'index.csv'} not found. Run 01_extract_faces.py first.")
    # Videos with face arrays; a too_short one may still fit a shorter --clip-len.
    videos = [r for r in common.read_csv(faces / "index.csv") if r["status"] in ("ok", "truncated", "too_short")]

    # Cut each video into windows of consecutive frames (the meta file knows where the gaps are).
    clips_per_video = {}
    for v in videos:
        frame_idx = np.load(faces / f"{v['video_id']}.meta.npz")["frame_idx"]
        clips_per_video[v["video_id"]] = common.clip_windows(frame_idx, args.clip_len, args.stride)
    too_short = [v for v in videos if not clips_per_video[v["video_id"]]]
    for v in too_short:
        print(f"warning: {v['path']}: fewer than {args.clip_len} consecutive face frames; no clip")
    videos = [v for v in videos if clips_per_video[v["video_id"]]]

    try:
        split_of_video, set_aside = assign_splits(videos, args)
    except ValueError as err:  # scikit-learn cannot make the folds: too few groups of a class
        sys.exit(f"error: cannot split {len(videos)} videos of {len({v['group'] for v in videos})} groups by group ({err}). "
                 "Add videos, or change --val/--test.")
    if set_aside:
        print(f"set aside {len(set_aside)} videos without an official split whose person is in the official "
              f"test or val set (e.g. {set_aside[0]['video_id']}): training on them would leak")
    videos = [v for v in videos if v["video_id"] in split_of_video]

    rows = []
    for v in videos:
        for start in clips_per_video[v["video_id"]]:
            rows.append({"clip_id": f"{v['video_id']}@{start}", "video_id": v["video_id"], "start": start,
                         "length": args.clip_len, "label": v["label"], "group": v["group"], "method": v["method"],
                         "split": split_of_video[v["video_id"]]})
    if args.balance:
        rows = balance_train(rows, args.seed)
    for name in ("train", "val", "test"):
        part = [r for r in rows if r["split"] == name]
        if len({r["label"] for r in part}) < 2:
            sys.exit(f"error: the {name} split would hold {len(part)} clips"
                     + (f" of a single class ({'fake' if part[0]['label'] == '1' else 'real'})" if part else "")
                     + ". Add videos, or change --val/--test/--seed" + ("" if args.ignore_official else
                                                                        " (or --ignore-official, if an official split is the cause)") + ".")
    # The property everything downstream relies on: no group in two splits.
    assert all(len({r["split"] for r in rows if r["group"] == g}) == 1 for g in {r["group"] for r in rows})

    common.write_csv(out / "clips.csv", rows, common.CLIP_FIELDS)
    face_settings = common.read_json(faces / "settings.json") if (faces / "settings.json").is_file() else {}
    common.write_json(out / "settings.json", {"faces": str(faces), "clip_len": args.clip_len, "stride": args.stride,
                                              "val": args.val, "test": args.test, "seed": args.seed,
                                              "ignore_official": args.ignore_official, "balance": args.balance,
                                              "face_settings": face_settings})

    print_counts(rows, args.clip_len)
    print(f"wrote {out / 'clips.csv'}; next: python 03_train_cnn_lstm.py")


if __name__ == "__main__":
    main()
