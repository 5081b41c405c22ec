"""Step 1: videos -> face-crop arrays, one per video.

Reads   every video under --videos (default data/videos), labelled by the folder it sits in:
          data/videos/real/**/<name>.mp4            real (label 0)
          data/videos/fake/<method>/**/<name>.mp4   fake (label 1), made by <method>
        A fake named like a real video (real/id007.mp4, fake/LipSync/id007.mp4) belongs to the same
        group: the group is the file name without its extension, and splits never cut a group.
        Or a CSV that lists the videos (--manifest), or a published dataset in its own layout
        (--dataset ffpp|celebdf|dfdc|timit --root DIR; the readers are below, in "Dataset
        layouts"; the README says where to get each dataset). Every video gets a label, a group (the person
        it shows), a method (how it was faked, or real) and, where the dataset has one, its
        official split.
Writes  --out (default data/faces):
          <video_id>.npy       face crops, uint8 [N, size, size, 3] RGB, one per kept frame
          <video_id>.meta.npz  frame indices (after resampling, and in the file), smoothed boxes, the
                               five face points per crop (eyes, nose tip, mouth corners, as fractions
                               of the crop: the masks of the pseudo-fakes), detected/interpolated
                               flags, fps (after resampling) and the file's own fps; with the face
                               mesh (--mesh, on by default for real footage) also `mesh` [N, 468, 3]
                               (x, y, z in crop coordinates, as measured, unsmoothed) and
                               `mesh_score` [N] (the face-presence probability of each frame's mesh)
          <video_id>.json      the video's index row, written last: the mark that it is done
          index.csv            one row per video: label, group, method, status, face_rate, gaps,
                               jitter, ...
          settings.json        the extraction settings, reused by 05_evaluate.py --video, and where
                               the videos came from (kept with every model trained on them)
          preview.png          with --preview: a few crops of every video, to see what was extracted
Every video is resampled to --fps (25) by picking the frame nearest each tick: a temporal model
compares motion per frame, and a 50 fps video moves half as far per frame as a 25 fps one.
Every file is written under a temporary name and renamed when complete, so an interrupted run
(Ctrl-C, kill -9) leaves nothing half-written that a later stage would trust; run the same command
again and it skips the videos already done. Status of a video in index.csv:
  ok         faces extracted
  truncated  fewer frames decoded than the file announces (a cut-off download?); faces kept
  too_short  fewer than --min-frames consecutive face frames: too short for a clip
  no_face    no face found
  empty      a zero-byte file
  unreadable not a video OpenCV can decode

With --demo it first writes a synthetic talking-face dataset (real videos and four kinds of
temporal deepfakes, see common.py section 2) to data/videos, then extracts it.

The code: this file, top to bottom: the options; the demo; "Dataset layouts", the readers that
turn a folder, a manifest or a published dataset into one list of videos (list_folders,
list_manifest, list_ffpp, list_celebdf, list_dfdc, list_timit; no other script needs them);
"Extraction", extract_one() and main(). The work is in common.py, section 3 "Face detection,
tracking and the mesh": common.make_detector (YuNet or Haar), common.extract_faces (detect, track,
fill gaps, smooth, crop), class FaceMesh; the video is read in section 1, the demo set drawn in
section 2. In what order to read them: docs/reading-the-code.md.

Run:
    python 01_extract_faces.py --demo                # make the demo set and extract it
    python 01_extract_faces.py --videos my_videos    # your own real/ and fake/ folders
    python 01_extract_faces.py --manifest my_videos.csv                  # path,label[,group][,split][,method]
    python 01_extract_faces.py --dataset ffpp --root FaceForensics --compression c23 --list   # check, then drop --list
    python 01_extract_faces.py --dataset celebdf --root Celeb-DF-v2 --out data/faces_celebdf
    python 01_extract_faces.py --manifest weights/train_videos.csv --out data/faces_real   # the first recipe (docs/real-footage.md)
    python 01_extract_faces.py --detector haar       # OpenCV's cascade instead of YuNet (shipped in models/)
    python 01_extract_faces.py --mesh off            # five face points only, no 468-point mesh (faster)
    python 01_extract_faces.py --shard 2/4           # the 2nd quarter of the videos (cluster jobs)
    python 01_extract_faces.py --preview             # also draw a contact sheet of the crops
"""

import argparse
import multiprocessing
import os
import shutil
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

import common


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", default="data/videos", help="folder with real/ and fake/ subfolders (default: %(default)s)")
    p.add_argument("--manifest", default=None, help="a CSV listing the videos instead: path,label[,group][,split][,method]")
    p.add_argument("--dataset", choices=DATASETS, default="folders",
                   help="layout of the videos: folders (real/, fake/ under --videos), manifest (--manifest CSV), "
                        "ffpp (FaceForensics++), celebdf (Celeb-DF v1/v2), dfdc (DFDC, full or preview), "
                        "timit (DeepfakeTIMIT with VidTIMIT) (default: %(default)s)")
    p.add_argument("--root", default=None, help="the dataset's folder, for --dataset ffpp/celebdf/dfdc/timit")
    p.add_argument("--list", action="store_true", help="list the videos the layout yields, with counts, and stop (nothing is extracted)")
    p.add_argument("--out", default="data/faces", help="where face arrays and index.csv go (default: %(default)s)")
    p.add_argument("--size", type=int, default=None,
                   help="side of the square face crops in pixels (default: 48; 32 with --demo, whose drawn faces "
                        "have no finer detail, so that the demo trains in seconds)")
    p.add_argument("--margin", type=float, default=0.15, help="crop margin around the face box, as a fraction of its side (default: %(default)s)")
    p.add_argument("--detector", choices=["auto", "haar", "yunet"], default=None,
                   help="haar: OpenCV's cascade; yunet: a small CNN (shipped in models/), faster and more accurate, "
                        "and it finds the five face points that the pseudo-fakes need (Haar's are estimated from its "
                        "box); auto: yunet when its model is there, else haar "
                        "(default: auto; haar with --demo, so that every demo gives the same numbers)")
    p.add_argument("--detector-model", default=None, help="path of a YuNet .onnx file (default: the copy in models/)")
    p.add_argument("--mesh", choices=["auto", "on", "off"], default=None,
                   help="also measure the 468-point face mesh (MediaPipe's model, shipped in models/) on every kept "
                        "frame: lips, jaw, eyelids, for the facial-dynamics curves, benchmarks/motion_cues.py and the "
                        "pseudo-fakes' masks; about 4 ms a frame. auto: when the model loads, else five points only "
                        "(default: auto; off with --demo, whose drawn faces the mesh does not know)")
    p.add_argument("--mesh-model", default=None, help="path of face_landmark.tflite (default: the copy in models/)")
    p.add_argument("--detect-width", type=int, default=320, help="detect on frames scaled down to this width (default: %(default)s)")
    p.add_argument("--detect-every", type=int, default=8, help="run the detector every k-th frame and interpolate between (default: %(default)s)")
    p.add_argument("--max-gap", type=int, default=12, help="fill detection gaps up to this many frames; longer gaps split the track (default: %(default)s)")
    p.add_argument("--smooth", type=int, default=15, help="moving-average window for the face box, in frames (default: %(default)s)")
    p.add_argument("--fps", type=float, default=25.0,
                   help="resample every video to this frame rate by picking frames (a slower video keeps its own "
                        "rate); --demo writes its videos at this rate (default: %(default)s)")
    p.add_argument("--min-frames", type=int, default=16, help="fewer consecutive face frames than this: status too_short (default: %(default)s)")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="videos processed in parallel (default: all %(default)s cores)")
    p.add_argument("--shard", default="1/1", help="i/n: process only the i-th of n slices of the video list (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="redo videos already extracted (default: skip them)")
    p.add_argument("--preview", action="store_true", help="write preview.png, a contact sheet of a few crops per video")
    layout = p.add_argument_group("dataset options")
    layout.add_argument("--compression", default="c23", help="ffpp: raw, c23 or c40 (default: %(default)s)")
    layout.add_argument("--methods", default=None, help="ffpp: comma-separated methods, e.g. Deepfakes,FaceSwap (default: all present)")
    layout.add_argument("--splits", default=None, help="ffpp: folder with the official train.json, val.json, test.json "
                                                      "(default: ROOT/splits when present, else 02 splits by group)")
    layout.add_argument("--test-list", default=None, help="celebdf: the official test list (default: ROOT/List_of_testing_videos.txt when present)")
    layout.add_argument("--quality", default="higher,lower", help="timit: higher, lower or both (default: %(default)s)")
    layout.add_argument("--vidtimit", default=None, help="timit: VidTIMIT's folder, where DeepfakeTIMIT's real videos are")
    demo = p.add_argument_group("demo data (--demo)")
    demo.add_argument("--demo", action="store_true", help="first write the synthetic demo dataset to --videos")
    demo.add_argument("--identities", type=int, default=40, help="demo people; each has 1 real and 4 fake videos (default: %(default)s)")
    demo.add_argument("--frames", type=int, default=56, help="frames per demo video (default: %(default)s)")
    demo.add_argument("--video-size", type=int, default=128, help="side of the demo videos in pixels (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the demo dataset (default: %(default)s)")
    args = p.parse_args(argv)
    if args.size is None:
        args.size = 32 if args.demo else 48
    if args.detector is None:
        args.detector = "haar" if args.demo else "auto"
    if args.mesh is None:
        args.mesh = "off" if args.demo else "auto"
    try:
        i, n = (int(x) for x in args.shard.split("/"))
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        p.error(f"--shard {args.shard!r}: expected i/n with 1 <= i <= n, e.g. 2/4")
    args.shard_index, args.shard_count = i, n
    if args.manifest:
        args.dataset = "manifest"
    if args.dataset == "folders" and args.root:  # --root works for the folder layout too
        args.videos = args.root
    if args.dataset == "manifest" and not args.manifest:
        p.error("--dataset manifest needs --manifest CSV")
    if args.dataset not in ("folders", "manifest") and not args.root:
        p.error(f"--dataset {args.dataset} needs --root, the folder where the dataset is")
    if args.demo and args.dataset != "folders":
        p.error("--demo writes real/ and fake/ folders; it does not combine with --dataset or --manifest")
    return args


def make_demo(args, videos: Path) -> None:
    """Write the demo dataset, replacing an earlier demo but never a user's own videos."""
    marker = videos / "DEMO.json"
    if videos.exists() and any(videos.iterdir()) and not marker.exists():
        sys.exit(f"error: {videos} already holds videos that are not a demo set; "
                 "pass --videos OTHER_DIR to write the demo elsewhere.")
    for sub in ("real", "fake"):
        shutil.rmtree(videos / sub, ignore_errors=True)
    t0 = time.time()
    jobs = [(videos, i, args.frames, args.video_size, args.fps, args.seed) for i in range(args.identities)]
    with multiprocessing.Pool(args.workers) as pool:
        n = sum(tqdm(pool.imap(make_identity, jobs), total=len(jobs), desc="demo videos", unit="identity"))
    common.write_json(marker, {k: getattr(args, k) for k in ("identities", "frames", "video_size", "fps", "seed")})
    print(f"demo: wrote {n} videos ({args.identities} real, {n - args.identities} fake) to {videos} in {time.time() - t0:.1f}s")


def make_identity(job):
    return common.make_demo_identity(*job)


# --------------------------------------------------------------------------------------------
# Dataset layouts: which videos there are, and what each one is
# --------------------------------------------------------------------------------------------
# Each published dataset keeps its videos and labels its own way; a layout reader turns a dataset
# folder into one list of items, {video_id, path, label (0 real, 1 fake), group, split (the
# official one, or ""), method}, and nothing after this script needs to know which dataset it was
# (index.csv carries the items on). Each reader checks that the folder looks like what it expects
# and says what it expected when it does not (LayoutError); a single odd file gets a warning and
# is left out. list_videos, at the end of this part, picks the reader that --dataset names.
#
# `group` is what a split must never cut: the person a video shows. A face swap shows two people
# (the target's video with the source's face), so a fake joins its target and its source into one
# group, and with them all their real videos (IdentityGroups, a union-find, does the joining).

DATASETS = ("folders", "manifest", "ffpp", "celebdf", "dfdc", "timit")  # what --dataset accepts


class LayoutError(Exception):
    """A dataset folder that does not look like the layout asked for."""


def warn(message: str) -> None:
    tqdm.write(f"warning: {message}")


def video_files(folder: Path) -> list[Path]:
    """Video files under a folder, at any depth, in name order (hidden ones, such as a .partial, left out)."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in common.VIDEO_EXTENSIONS
                  and not p.name.startswith("."))


def make_items(root: Path, found: list[tuple[Path, int, str, str, str]], prefix: str = "") -> list[dict]:
    """(path, label, group, method, split) tuples -> index items with a unique video_id.

    The id is the path below the root with "__" for "/" (after `prefix`, if given), so two files
    with one name in different folders stay apart (and so do a.mp4 and a.avi in one folder). When
    some paths lie outside the root (a manifest may list videos anywhere), the ids are the paths
    below the folder that holds them all.
    """
    absolute = {str(f[0]): Path(os.path.abspath(f[0])) for f in found}
    base = Path(os.path.abspath(root))
    if any(not p.is_relative_to(base) for p in absolute.values()):
        base = Path(os.path.commonpath([str(p.parent) for p in absolute.values()]))
    items, seen = [], set()
    for path, label, group, method, split in sorted(found, key=lambda f: str(f[0])):
        rel = absolute[str(path)].relative_to(base)
        video_id = "__".join(([prefix] if prefix else []) + list(rel.with_suffix("").parts if Path(path).is_file() else rel.parts))
        if video_id in seen:
            video_id += "_" + Path(path).suffix.lstrip(".").lower()
        seen.add(video_id)
        items.append({"video_id": video_id, "path": str(path), "label": label, "group": group,
                      "split": split, "method": method})
    return items


class IdentityGroups:
    """Union-find over identity ids: link(a, b) puts a and b (and everyone linked to them) in one group."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]  # path halving keeps the trees flat
            a = self.parent[a]
        return a

    def link(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def names(self) -> dict[str, str]:
        """id -> a readable group name: its members joined by '+', e.g. '000+003'."""
        members: dict[str, list[str]] = {}
        for a in sorted(self.parent):
            members.setdefault(self.find(a), []).append(a)
        return {a: "+".join(members[self.find(a)]) for a in self.parent}


def list_folders(root: Path) -> list[dict]:
    """Own recordings in folders: root/real/**/<name>.mp4 and root/fake/<method>/**/<name>.mp4.

    A fake named like a real video (real/id007.mp4, fake/LipSync/id007.mp4) belongs to the same
    group: the group is the file name without its extension.
    """
    found, stray = [], []
    for path in video_files(root):
        rel = path.relative_to(root)
        top = rel.parts[0].lower()
        if top not in ("real", "fake") or len(rel.parts) == 1:
            stray.append(rel)
            continue
        method = "real" if top == "real" else (rel.parts[1] if len(rel.parts) > 2 else "fake")
        found.append((path, int(top == "fake"), path.stem, method, ""))
    if stray:
        raise LayoutError(f"{root / stray[0]}" + (f" and {len(stray) - 1} more videos are" if len(stray) > 1 else " is")
                          + f" not under real/ or fake/, so the label is unknown. Expected {root}/real/**/NAME.mp4 and "
                          f"{root}/fake/METHOD/**/NAME.mp4; move them, or describe the videos in a CSV (--manifest), "
                          "or name a published layout (--dataset).")
    return make_items(root, found)


MANIFEST_LABELS = {"0": 0, "real": 0, "1": 1, "fake": 1}


def list_manifest(csv_path: Path) -> list[dict]:
    """A CSV with a header and one row per video: path,label[,group][,split][,method].

    path: relative to the CSV's folder, or absolute; label: 0/real or 1/fake; group: the person
    (default: the file name without extension); split: train/val/test or empty; method: how the
    fake was made (default: real or fake).
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise LayoutError(f"{csv_path}: manifest not found; expected a CSV file with the header path,label[,group][,split][,method]")
    rows = common.read_csv(csv_path)
    columns = set(rows[0]) if rows else set()
    if not {"path", "label"} <= columns:
        raise LayoutError(f"{csv_path}: expected a header with at least the columns path,label "
                          f"(optionally group, split, method); found {', '.join(sorted(columns)) or 'no rows'}")
    found, missing = [], []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        label = MANIFEST_LABELS.get((row["label"] or "").strip().lower())
        split = (row.get("split") or "").strip().lower()
        if label is None:
            raise LayoutError(f"{csv_path} line {line}: label {row['label']!r}; expected 0 or real, 1 or fake")
        if split not in ("", "train", "val", "test"):
            raise LayoutError(f"{csv_path} line {line}: split {row['split']!r}; expected train, val, test or empty")
        path = Path(row["path"].strip())
        path = path if path.is_absolute() else csv_path.parent / path
        if not path.exists():
            missing.append(f"{path} (line {line})")
            continue
        method = (row.get("method") or "").strip() or ("fake" if label else "real")
        found.append((path, label, (row.get("group") or "").strip() or path.stem, method, split))
    if missing:
        warn(f"{len(missing)} videos in {csv_path} are not on disk and are left out, e.g. {missing[0]}")
    return make_items(csv_path.parent, found)


FFPP_SKIPPED = {"DeepFakeDetection"}  # Google's DFD set: actor-and-scene names, another layout


def read_ffpp_splits(splits_dir: Path) -> dict[str, tuple[str, ...]]:
    """FaceForensics++'s train.json / val.json / test.json (lists of [target, source] id pairs) -> {split: pairs}."""
    splits = {}
    for name in ("train", "val", "test"):
        path = Path(splits_dir) / f"{name}.json"
        if not path.is_file():
            raise LayoutError(f"{path} not found: the official split is three files, train.json, val.json and "
                              "test.json, each a list of id pairs such as [[\"071\", \"054\"], ...]")
        try:
            pairs = common.read_json(path)
            splits[name] = [(str(a), str(b)) for a, b in pairs]
        except (ValueError, TypeError) as err:
            raise LayoutError(f"{path}: expected a JSON list of id pairs such as [[\"071\", \"054\"], ...] ({err})")
    return splits


def list_ffpp(root: Path, compression: str = "c23", methods: list[str] | None = None,
              splits_dir: Path | None = None) -> list[dict]:
    """FaceForensics++: original_sequences/youtube/<c>/videos/NNN.mp4 (real) and
    manipulated_sequences/<Method>/<c>/videos/TTT_SSS.mp4 (fake: the video of TTT with the face or
    expressions of SSS). The official split (splits_dir, or root/splits when it holds test.json)
    assigns each pair of ids to train, val or test."""
    root = Path(root)
    real_dir = root / "original_sequences" / "youtube" / compression / "videos"
    fake_root = root / "manipulated_sequences"
    if not real_dir.is_dir():
        present = sorted(p.name for p in (root / "original_sequences" / "youtube").glob("*") if p.is_dir())
        raise LayoutError(f"{real_dir} not found. A FaceForensics++ root holds original_sequences/youtube/<c>/videos/NNN.mp4 "
                          f"and manipulated_sequences/<Method>/<c>/videos/TTT_SSS.mp4, <c> being raw, c23 or c40"
                          + (f"; compressions present here: {', '.join(present)} (pick one with --compression)" if present else ""))
    available = sorted(p.name for p in fake_root.glob("*") if p.is_dir() and p.name not in FFPP_SKIPPED)
    for name in sorted(FFPP_SKIPPED & {p.name for p in fake_root.glob("*")}):
        warn(f"{fake_root / name} left out: its videos are named by actor and scene, not TTT_SSS")
    chosen = methods or available
    if not chosen:
        raise LayoutError(f"{fake_root} holds no method folders; expected e.g. manipulated_sequences/Deepfakes/{compression}/videos")
    for method in chosen:
        if method not in available:
            raise LayoutError(f"{fake_root / method} not found; methods present: {', '.join(available) or 'none'}")
        if not (fake_root / method / compression / "videos").is_dir():
            raise LayoutError(f"{fake_root / method / compression / 'videos'} not found: expected the {compression} "
                              f"videos of {method} there (choose the compression with --compression)")

    ids, found = IdentityGroups(), []
    for method in chosen:
        for path in video_files(fake_root / method / compression / "videos"):
            target, _, source = path.stem.partition("_")
            if not (target.isdigit() and source.isdigit()):
                warn(f"{path}: left out, the name is not TTT_SSS (two video ids)")
                continue
            ids.link(target, source)  # the fake shows both people
            found.append((path, 1, target, method))
    for path in video_files(real_dir):
        if not path.stem.isdigit():
            warn(f"{path}: left out, the name is not a video id such as 071")
            continue
        ids.find(path.stem)
        found.append((path, 0, path.stem, "real"))

    split_of = {}
    splits_dir = splits_dir or (root / "splits" if (root / "splits" / "test.json").is_file() else None)
    if splits_dir:
        for name, pairs in read_ffpp_splits(splits_dir).items():
            for a, b in pairs:
                ids.link(a, b)
                for vid in (a, b):
                    split_of.setdefault(vid, name)
        unlisted = sorted({i for _, _, i, _ in found} - set(split_of))
        if unlisted:
            warn(f"{len(unlisted)} video ids are in no official split file (e.g. {unlisted[0]}); 02 leaves them out "
                 "of the official test and validation sets")
    names = ids.names()
    return make_items(root, [(path, label, names[i], method, split_of.get(i, "")) for path, label, i, method in found])


CELEBDF_FOLDERS = {"Celeb-real": 0, "YouTube-real": 0, "Celeb-synthesis": 1}


def list_celebdf(root: Path, test_list: Path | None = None) -> list[dict]:
    """Celeb-DF v1/v2: Celeb-real/idX_NNNN.mp4 and YouTube-real/NNNNN.mp4 (real),
    Celeb-synthesis/idX_idY_NNNN.mp4 (fake: video NNNN of person X with Y's face swapped in).
    List_of_testing_videos.txt ("1 Celeb-real/id0_0000.mp4", 1 = real, 0 = fake) is the official
    test set.

    The group of a fake is its target X, whose video it is. Joining X with the face donor Y, as
    for FaceForensics++, would chain Celeb-DF's 59 people, each swapped with several others, into
    one group and leave nothing to split. Each YouTube-real video is a person of its own.
    """
    root = Path(root)
    present = {name for name in CELEBDF_FOLDERS if (root / name).is_dir()}
    if "Celeb-synthesis" not in present or present == {"Celeb-synthesis"}:
        found_dirs = sorted(p.name for p in root.glob("*") if p.is_dir())
        raise LayoutError(f"{root}: expected the Celeb-DF folders Celeb-real/, YouTube-real/ and Celeb-synthesis/; "
                          f"found {', '.join(found_dirs) or 'no folders'}")
    found = []
    for folder in sorted(present):
        label = CELEBDF_FOLDERS[folder]
        for path in video_files(root / folder):
            parts = path.stem.split("_")
            if folder == "YouTube-real":
                group = f"yt{path.stem}"
            elif parts[0].startswith("id") and len(parts) == (3 if label else 2):
                group = parts[0]
            else:
                warn(f"{path}: left out, expected a name like {'id0_id1_0000' if label else 'id0_0000'}.mp4")
                continue
            found.append([path, label, group, folder if label else "real", ""])

    test_list = Path(test_list) if test_list else root / "List_of_testing_videos.txt"
    if test_list.is_file():
        by_rel = {f[0].relative_to(root).as_posix(): f for f in found}
        missing = []
        for n, line in enumerate(test_list.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            flag, _, rel = line.strip().partition(" ")
            if flag not in ("0", "1") or not rel:
                raise LayoutError(f"{test_list} line {n}: {line!r}; expected '1 FOLDER/NAME.mp4' (real) or '0 FOLDER/NAME.mp4' (fake)")
            item = by_rel.get(rel.strip())
            if item is None:
                missing.append(rel.strip())
                continue
            if int(flag) != 1 - item[1]:  # the list says 1 for real
                warn(f"{test_list} line {n} calls {rel.strip()} {'real' if flag == '1' else 'fake'}, its folder says otherwise; the folder wins")
            item[4] = "test"
        if missing:
            warn(f"{len(missing)} videos of {test_list.name} are not on disk (e.g. {missing[0]}); the test set is smaller")
    elif test_list != root / "List_of_testing_videos.txt":
        raise LayoutError(f"{test_list} not found: expected Celeb-DF's List_of_testing_videos.txt")
    return make_items(root, [tuple(f) for f in found])


def list_dfdc(root: Path) -> list[dict]:
    """DFDC (full or preview): folders of videos, each with a metadata.json that maps a file name
    to {"label": "REAL" | "FAKE", "original": the real video a fake was made from, ...}.

    The group of a video is its original (a real video is its own original), so a real video and
    every fake made from it stay together. DFDC's training metadata calls every video "train", so
    it carries no split; 02 splits by group.
    """
    root = Path(root)
    metas = sorted(root.rglob("metadata.json"))
    if not metas:
        raise LayoutError(f"{root}: no metadata.json found. A DFDC root holds folders such as dfdc_train_part_0/, "
                          "each with its videos and a metadata.json that labels them")
    found, missing, covered = [], [], set()
    for meta in metas:
        folder = meta.parent
        try:
            entries = common.read_json(meta)
        except ValueError as err:
            raise LayoutError(f"{meta}: not valid JSON ({err})")
        if not isinstance(entries, dict):
            raise LayoutError(f"{meta}: expected a JSON object mapping file names to {{\"label\": \"REAL\" or \"FAKE\", ...}}")
        for name, entry in sorted(entries.items()):
            label = str(entry.get("label", "")).upper() if isinstance(entry, dict) else ""
            if label not in ("REAL", "FAKE"):
                warn(f"{meta}: entry {name!r} left out: expected \"label\": \"REAL\" or \"FAKE\"")
                continue
            path = folder / name
            covered.add(path)
            if not path.is_file():
                missing.append(path)
                continue
            original = entry.get("original") if label == "FAKE" else None
            found.append((path, int(label == "FAKE"), Path(original or name).stem, "DFDC" if label == "FAKE" else "real", ""))
    for path in video_files(root):
        if path not in covered:
            meta = path.parent / "metadata.json"
            warn(f"{path}: left out, " + (f"no entry for {path.name!r} in {meta}" if meta.is_file() else f"no {meta} beside it")
                 + " (expected {\"" + path.name + "\": {\"label\": \"REAL\" or \"FAKE\", \"original\": ...}})")
    if missing:
        warn(f"{len(missing)} videos listed in metadata.json are not on disk (e.g. {missing[0]}); going on without them")
    return make_items(root, found)


def list_timit(root: Path, qualities: list[str] = ("higher", "lower"), vidtimit: Path | None = None) -> list[dict]:
    """DeepfakeTIMIT: <higher|lower>_quality/<subject>/<sentence>-video-<source>.avi (fake: the
    subject's video with the source's face). Its real videos are in VidTIMIT (vidtimit):
    <subject>/video/<sentence>/ as folders of numbered frame images (or <subject>/<sentence>.avi if
    converted); only the subjects DeepfakeTIMIT uses are taken, and not the head-rotation takes.
    """
    root, ids, fakes, reals = Path(root), IdentityGroups(), [], []
    for quality in qualities:
        folder = root / f"{quality}_quality"
        if not folder.is_dir():
            raise LayoutError(f"{folder} not found: a DeepfakeTIMIT root holds higher_quality/ and lower_quality/, "
                              "each with one folder per subject of SENTENCE-video-SOURCE.avi files")
        for path in video_files(folder):
            subject = path.parent.name
            _, _, source = path.stem.partition("-video-")  # SENTENCE-video-SOURCE
            if not source:
                warn(f"{path}: left out, expected a name like sa1-video-fram1.avi")
                continue
            ids.link(subject, source)
            fakes.append((path, 1, subject, f"DeepfakeTIMIT-{'HQ' if quality == 'higher' else 'LQ'}"))
    if vidtimit is None:
        warn("no --vidtimit folder: DeepfakeTIMIT holds only fakes; its real videos are VidTIMIT's")
    else:
        vidtimit = Path(vidtimit)
        if not vidtimit.is_dir():
            raise LayoutError(f"{vidtimit} not found: expected VidTIMIT's folder of subjects (fadg0/, fram1/, ...)")
        for subject in sorted(s for s in ids.parent if (vidtimit / s).is_dir()):
            takes = [d for d in sorted((vidtimit / subject / "video").glob("*")) if d.is_dir() and not d.name.startswith("head")]
            takes += [p for p in video_files(vidtimit / subject) if not p.stem.startswith("head")]
            reals += [(take, 0, subject, "real") for take in takes]
        if not reals:
            raise LayoutError(f"{vidtimit}: no real videos of the DeepfakeTIMIT subjects; expected SUBJECT/video/SENTENCE/ "
                              "folders of frame images (or SUBJECT/SENTENCE.avi)")
    names = ids.names()
    return (make_items(root, [(path, label, names[s], method, "") for path, label, s, method in fakes])
            + make_items(vidtimit, [(path, label, names[s], method, "") for path, label, s, method in reals], prefix="VidTIMIT"))


def list_videos(args) -> list[dict]:
    """The videos of the chosen layout: [{video_id, path, label, group, split, method}]."""
    if args.dataset == "folders":
        return list_folders(Path(args.videos))
    if args.dataset == "manifest":
        return list_manifest(Path(args.manifest))
    root = Path(args.root)
    if not root.is_dir():
        raise LayoutError(f"{root} is not a folder; --root names the folder where the {args.dataset} dataset is")
    if args.dataset == "ffpp":
        methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
        return list_ffpp(root, args.compression, methods, Path(args.splits) if args.splits else None)
    if args.dataset == "celebdf":
        return list_celebdf(root, Path(args.test_list) if args.test_list else None)
    if args.dataset == "dfdc":
        return list_dfdc(root)
    qualities = [q.strip() for q in args.quality.split(",") if q.strip()]
    if not set(qualities) <= {"higher", "lower"} or not qualities:
        raise LayoutError(f"--quality {args.quality!r}: expected higher, lower or higher,lower")
    return list_timit(root, qualities, Path(args.vidtimit) if args.vidtimit else None)


def describe(items: list[dict]) -> None:
    """Counts of what a layout yielded: videos per method and label, groups, official splits."""
    methods = Counter((it["method"], it["label"]) for it in items)
    print(textwrap.fill(f"{len(items)} videos of {len({it['group'] for it in items})} groups: "
                        + ", ".join(f"{m} {n}" for (m, _), n in sorted(methods.items(), key=lambda kv: (kv[0][1], kv[0][0]))),
                        width=100, subsequent_indent="    "))  # a terminal's width, however many methods
    splits = Counter(it["split"] for it in items if it["split"])
    if splits:
        print("official split: " + ", ".join(f"{s} {splits[s]}" for s in ("train", "val", "test") if splits[s])
              + f", none {len(items) - sum(splits.values())}")


# --------------------------------------------------------------------------------------------
# Extraction: one video at a time, in worker processes
# --------------------------------------------------------------------------------------------
# The work itself is common.extract_faces (section 3); here is what makes a long run safe to
# stop and restart: each video's row is written last, as the mark that it is done, and a video
# already done with the same settings from the same file is skipped.

SETTINGS = ("detector", "detector_model", "mesh", *common.EXTRACT_SETTINGS)  # what settings.json records


def source_stamp(path: str) -> dict:
    """What identifies the file a row was made from: a changed file is extracted again."""
    st = Path(path).stat()
    return {"source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns}


def done_row(item: dict, args, out: Path) -> dict | None:
    """The index row of a video already extracted with the same settings from the same file, if any."""
    marker = out / f"{item['video_id']}.json"
    if not marker.is_file():
        return None
    try:
        row = common.read_json(marker)
    except (OSError, ValueError):
        return None
    same = row.get("settings") == {k: getattr(args, k) for k in SETTINGS} and \
        {k: row.get(k) for k in ("source_size", "source_mtime_ns")} == source_stamp(item["path"])
    has_arrays = row.get("status") not in WITH_ARRAYS or (out / f"{item['video_id']}.npy").is_file()
    return row if same and has_arrays else None


WITH_ARRAYS = ("ok", "truncated", "too_short")  # statuses that come with face arrays


def data_source(args, rows: list[dict]) -> dict:
    """Where the videos came from (kept in settings.json, and from there in every run and report)."""
    demo = args.dataset == "folders" and (args.demo or (Path(args.videos) / "DEMO.json").is_file())
    path = {"folders": args.videos, "manifest": args.manifest}.get(args.dataset, args.root)
    return {"kind": "demo" if demo else args.dataset, "path": str(path),
            "real": sum(str(r["label"]) == "0" for r in rows), "fake": sum(str(r["label"]) == "1" for r in rows)}


def start_worker(args):
    """Runs once in each worker process: one detector per process, one OpenCV thread per process
    (the processes already keep the cores busy; more threads would only fight over them)."""
    global detector, mesher, settings
    cv2.setNumThreads(1)
    detector, settings = common.make_detector(args.detector, args.detector_model), args
    mesher = common.FaceMesh(args.mesh_model) if args.mesh == "on" else None


def extract_one(item: dict) -> dict:
    """Extract one video's faces and write its arrays, then its row (the mark that it is done)."""
    args, out = settings, Path(settings.out)
    row = {**item, "fps": "", "native_fps": "", "frames": 0, "kept": 0, "face_rate": 0.0, "gaps": "", "segments": 0, "jitter": "",
           "detector": args.detector, "settings": {k: getattr(args, k) for k in SETTINGS}, **source_stamp(item["path"])}
    vid = item["video_id"]
    if Path(item["path"]).stat().st_size == 0:
        status, why = "empty", "a zero-byte file"
    else:
        try:
            faces = common.extract_faces(Path(item["path"]), detector, mesher=mesher,
                                         **{k: getattr(args, k) for k in common.EXTRACT_SETTINGS})
            status, why = "ok", ""
        except common.VideoError as err:
            status, why = "unreadable", f"not a video OpenCV can decode ({err})"
    if status == "ok":
        row.update(fps=round(faces["fps"], 3), native_fps=round(faces["native_fps"], 3), frames=faces["frames"], kept=len(faces["crops"]),
                   face_rate=round(faces["face_rate"], 4), gaps=faces["gaps"], segments=faces["segments"],
                   jitter=round(faces["jitter"], 5) if np.isfinite(faces["jitter"]) else "")
        longest = max((b - a for a, b in common.runs(np.diff(faces["frame_idx"]) == 1)), default=0) + 1
        if len(faces["crops"]) == 0:
            status, why = "no_face", f"no face found in {faces['frames']} frames"
        elif longest < args.min_frames:
            status, why = "too_short", f"only {longest} consecutive face frames (< --min-frames {args.min_frames})"
        elif faces["announced"] and faces["frames"] < 0.9 * faces["announced"] - 1:
            status, why = "truncated", f"decoded {faces['frames']} of the {faces['announced']} frames it announces"
        if status in WITH_ARRAYS:
            common.save_atomic(out / f"{vid}.npy", lambda tmp: np.save(tmp, faces["crops"]))
            mesh = {k: faces[k] for k in ("mesh", "mesh_score") if k in faces}
            common.save_atomic(out / f"{vid}.meta.npz", lambda tmp: np.savez(
                tmp, frame_idx=faces["frame_idx"], source_idx=faces["source_idx"], boxes=faces["boxes"],
                landmarks=faces["landmarks"], detected=faces["detected"], interpolated=faces["interpolated"],
                fps=faces["fps"], native_fps=faces["native_fps"], **mesh))
    if why:
        tqdm.write(f"warning: {item['path']}: {status}: {why}")
    row["status"] = status
    common.write_json(out / f"{vid}.json", row)
    return row


def write_preview(rows: list[dict], out: Path, per_video: int = 8, max_videos: int = 60) -> None:
    """preview.png: one line per video, `per_video` crops spread over it, labelled with its id."""
    lines = []
    for row in [r for r in rows if r["status"] in WITH_ARRAYS][:max_videos]:
        crops = np.load(out / f"{row['video_id']}.npy", mmap_mode="r")
        picks = np.linspace(0, len(crops) - 1, per_video).round().astype(int)
        strip = np.hstack([cv2.resize(np.asarray(crops[i]), (64, 64)) for i in picks])[..., ::-1]
        label = np.full((18, strip.shape[1], 3), 255, np.uint8)
        cv2.putText(label, f"{row['video_id']} ({row['status']}, face rate {row['face_rate']})", (3, 13),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        lines.append(np.vstack([label, strip]))
    if lines:
        common.save_atomic(out / "preview.png", lambda tmp: cv2.imwrite(str(tmp), np.vstack(lines)))
        print(f"wrote {out / 'preview.png'} ({len(lines)} videos)")


def main(argv=None):
    args = parse_args(argv)
    videos, out = Path(args.videos), Path(args.out)
    if args.demo:
        make_demo(args, videos)
    if args.dataset == "folders" and not videos.is_dir():
        sys.exit(f"error: {videos} does not exist. Put videos in {videos}/real and {videos}/fake, "
                 "or run with --demo to make a synthetic set.")
    try:
        items = list_videos(args)
    except LayoutError as err:
        sys.exit(f"error: {err}")
    if not items:
        where = f"{videos}/real or {videos}/fake" if args.dataset == "folders" else (args.manifest or args.root)
        sys.exit(f"error: no videos under {where} (extensions: {', '.join(sorted(common.VIDEO_EXTENSIONS))}).")
    describe(items)
    if args.list:
        print(f"{'label':<5}  {'method':<16} {'group':<16} {'split':<5}  path")
        for it in items:
            print(f"{it['label']:<5}  {it['method']:<16} {it['group']:<16} {it['split'] or '-':<5}  {it['path']}")
        return
    try:  # once, here: a download happens once, and a detector that cannot load fails before any work
        args.detector, args.detector_model = common.resolve_detector(args.detector, args.detector_model)
        common.make_detector(args.detector, args.detector_model)
        args.mesh = "on" if common.load_mesh(args.mesh, args.mesh_model) is not None else "off"
    except common.DetectorError as err:
        sys.exit(f"error: {err}")
    out.mkdir(parents=True, exist_ok=True)
    for leftover in out.glob(".*.partial.*"):  # temporary files of an interrupted run
        leftover.unlink()

    # This shard's slice of the list; videos already done with these settings are skipped.
    mine = items[args.shard_index - 1 :: args.shard_count]
    todo = [item for item in mine if args.overwrite or done_row(item, args, out) is None]
    t0 = time.time()
    if todo:
        # "spawn": fresh worker processes. Forked ones inherit the threads of the detector loaded
        # above, and OpenCV 5's DNN engine then hangs in them.
        context = multiprocessing.get_context("spawn")
        with context.Pool(min(args.workers, len(todo)), initializer=start_worker, initargs=(args,)) as pool:
            rows = list(tqdm(pool.imap(extract_one, todo), total=len(todo), desc="extracting faces", unit="video"))
    else:
        rows = []
    seconds = time.time() - t0

    # index.csv lists every video of the whole list that is done (by this shard or another).
    # The listing's fields win over the stored row's: an official split given later is used.
    done = [{**row, **item} for item in items if (row := done_row(item, args, out)) is not None]
    common.write_csv(out / "index.csv", done, common.INDEX_FIELDS)
    common.write_json(out / "settings.json", {**{k: getattr(args, k) for k in SETTINGS}, "source": data_source(args, done)})
    if args.preview:
        write_preview(done, out)

    frames = sum(int(r["frames"]) for r in rows)
    count = {s: sum(r["status"] == s for r in rows) for s in ("ok", "truncated", "too_short", "no_face", "empty", "unreadable")}
    print(f"{len(rows)} videos extracted, {len(mine) - len(todo)} already done and skipped"
          + (f" (shard {args.shard})" if args.shard_count > 1 else "")
          + "".join(f", {n} {s}" for s, n in count.items() if n))
    print(f"{frames} frames in {seconds:.1f}s ({frames / max(seconds, 1e-9):.0f} frames/s) with {args.detector}"
          + (" and the face mesh" if args.mesh == "on" else ""))
    if len(done) < len(items):
        print(f"index.csv lists {len(done)} of {len(items)} videos; the rest belong to other shards or failed to finish")
    usable = [r for r in done if r["status"] in ("ok", "truncated", "too_short")]  # what 02 can cut clips from
    if not usable and len(done) == len(items):
        statuses = Counter(r["status"] for r in done)
        sys.exit(f"error: none of the {len(done)} videos gave a face track ({', '.join(f'{n} {s}' for s, n in statuses.items())}; "
                 f"{out / 'index.csv'} lists each), so there is nothing for 02_make_clips.py. unreadable: a format "
                 "OpenCV cannot decode or a damaged file (re-encode it: ffmpeg -i IN -c:v libx264 OUT.mp4); "
                 "no_face: no face large enough and turned to the camera; too short or empty: a longer video.")
    clips = "data/clips" if out == Path("data/faces") else common.sibling(out, "faces", "clips")
    print(f"wrote {out / 'index.csv'}; "
          + common.next_step("02_make_clips.py", {"faces": (out, "data/faces"), "out": (clips, "data/clips")}))


if __name__ == "__main__":
    main()
