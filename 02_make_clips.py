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

Run:
    python 02_make_clips.py                          # 16-frame clips, 60/20/20 split
    python 02_make_clips.py --clip-len 32 --stride 16
"""

import argparse
import sys
from collections import Counter
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
    return p.parse_args(argv)


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
    if len({v["group"] for v in videos}) < 3:
        sys.exit(f"error: {len(videos)} usable videos in {len({v['group'] for v in videos})} groups; "
                 "a train/val/test split needs at least 3 groups.")

    # Split by group, stratified by label. A group's label for stratification is its videos' labels.
    group_of = [v["group"] for v in videos]
    split_of_group = common.group_split(group_of, [int(v["label"]) for v in videos], args.val, args.test, args.seed)

    rows = []
    for v in videos:
        for start in clips_per_video[v["video_id"]]:
            rows.append({"clip_id": f"{v['video_id']}@{start}", "video_id": v["video_id"], "start": start,
                         "length": args.clip_len, "label": v["label"], "group": v["group"], "method": v["method"],
                         "split": split_of_group[v["group"]]})
    for name in ("train", "val", "test"):
        part = [r for r in rows if r["split"] == name]
        if len({r["label"] for r in part}) < 2:
            sys.exit(f"error: the {name} split would hold {len(part)} clips of a single class. "
                     "Add videos, or change --val/--test/--seed.")
    # The property everything downstream relies on: no group in two splits.
    assert all(len({r["split"] for r in rows if r["group"] == g}) == 1 for g in set(group_of))

    common.write_csv(out / "clips.csv", rows, common.CLIP_FIELDS)
    face_settings = common.read_json(faces / "settings.json") if (faces / "settings.json").is_file() else {}
    common.write_json(out / "settings.json", {"faces": str(faces), "clip_len": args.clip_len, "stride": args.stride,
                                              "val": args.val, "test": args.test, "seed": args.seed,
                                              "face_settings": face_settings})

    print(f"{len(rows)} clips of {args.clip_len} frames from {len(videos)} videos ({len(set(group_of))} groups)")
    print(f"{'split':<6} {'groups':>6} {'videos':>6} {'real clips':>10} {'fake clips':>10}")
    for name in ("train", "val", "test"):
        part = [r for r in rows if r["split"] == name]
        labels = Counter(r["label"] for r in part)
        print(f"{name:<6} {len({r['group'] for r in part}):>6} {len({r['video_id'] for r in part}):>6} "
              f"{labels['0']:>10} {labels['1']:>10}")
    print(f"wrote {out / 'clips.csv'}; next: python 03_train_cnn_lstm.py")


if __name__ == "__main__":
    main()
