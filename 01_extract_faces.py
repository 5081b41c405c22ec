"""Step 1: videos -> face-crop arrays, one per video.

Reads   every video under --videos (default data/videos), labelled by the folder it sits in:
          data/videos/real/**/<name>.mp4            real (label 0)
          data/videos/fake/<method>/**/<name>.mp4   fake (label 1), made by <method>
        A fake named like a real video (real/id007.mp4, fake/LipSync/id007.mp4) belongs to the same
        group: the group is the file name without its extension, and splits never cut a group.
Writes  --out (default data/faces):
          <video_id>.npy       face crops, uint8 [N, size, size, 3] RGB, one per kept frame
          <video_id>.meta.npz  frame indices, smoothed boxes, detected/interpolated flags, fps
          index.csv            one row per video: label, group, method, face_rate, status, ...
          settings.json        the extraction settings, reused by 05_evaluate.py --video

With --demo it first writes a synthetic talking-face dataset (real videos and four kinds of
temporal deepfakes, see common.py section 2) to data/videos, then extracts it.

Run:
    python 01_extract_faces.py --demo                # make the demo set and extract it
    python 01_extract_faces.py --videos my_videos    # your own real/ and fake/ folders
    python 01_extract_faces.py --detector yunet      # YuNet instead of Haar (downloads 230 kB once)
"""

import argparse
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

import common


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", default="data/videos", help="folder with real/ and fake/ subfolders (default: %(default)s)")
    p.add_argument("--out", default="data/faces", help="where face arrays and index.csv go (default: %(default)s)")
    p.add_argument("--size", type=int, default=None,
                   help="side of the square face crops in pixels (default: 48; 32 with --demo, whose drawn faces "
                        "have no finer detail, so that the demo trains in seconds)")
    p.add_argument("--margin", type=float, default=0.15, help="crop margin around the face box, as a fraction of its side (default: %(default)s)")
    p.add_argument("--detector", choices=["haar", "yunet"], default="haar",
                   help="haar: OpenCV's cascade, offline; yunet: a small CNN, more accurate (default: %(default)s)")
    p.add_argument("--detector-model", default=None, help="path of the YuNet .onnx file (default: download once to a cache)")
    p.add_argument("--detect-width", type=int, default=320, help="detect on frames scaled down to this width (default: %(default)s)")
    p.add_argument("--detect-every", type=int, default=3, help="run the detector every k-th frame and interpolate between (default: %(default)s)")
    p.add_argument("--max-gap", type=int, default=12, help="fill detection gaps up to this many frames; longer gaps split the track (default: %(default)s)")
    p.add_argument("--smooth", type=int, default=5, help="moving-average window for the face box, in frames (default: %(default)s)")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="videos processed in parallel (default: all %(default)s cores)")
    demo = p.add_argument_group("demo data (--demo)")
    demo.add_argument("--demo", action="store_true", help="first write the synthetic demo dataset to --videos")
    demo.add_argument("--identities", type=int, default=40, help="demo people; each has 1 real and 4 fake videos (default: %(default)s)")
    demo.add_argument("--frames", type=int, default=56, help="frames per demo video (default: %(default)s)")
    demo.add_argument("--video-size", type=int, default=128, help="side of the demo videos in pixels (default: %(default)s)")
    demo.add_argument("--fps", type=float, default=25.0, help="frame rate of the demo videos (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the demo dataset (default: %(default)s)")
    args = p.parse_args(argv)
    if args.size is None:
        args.size = 32 if args.demo else 48
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


def list_videos(videos: Path) -> list[dict]:
    """Every video file under real/ and fake/, with its label, group, method and a unique id."""
    items, seen = [], set()
    paths = sorted(p for p in videos.rglob("*") if p.is_file() and p.suffix.lower() in common.VIDEO_EXTENSIONS
                   and not p.name.startswith("."))  # hidden: e.g. a half-written .partial file
    for path in paths:
        rel = path.relative_to(videos)
        top = rel.parts[0].lower()
        if top not in ("real", "fake"):
            print(f"warning: skipping {rel}: not under real/ or fake/, so its label is unknown")
            continue
        method = "real" if top == "real" else (rel.parts[1] if len(rel.parts) > 2 else "fake")
        # The id is the relative path, so two files with one name in different folders stay apart.
        video_id = "__".join(rel.with_suffix("").parts)
        if video_id in seen:  # same path with another extension
            video_id += "_" + path.suffix.lstrip(".").lower()
        seen.add(video_id)
        items.append({"video_id": video_id, "path": str(path), "label": int(top == "fake"),
                      "group": path.stem, "split": "", "method": method})
    return items


def start_worker(args):
    """Runs once in each worker process: one detector per process, one OpenCV thread per process
    (the processes already keep the cores busy; more threads would only fight over them)."""
    global detector, settings
    cv2.setNumThreads(1)
    detector, settings = common.make_detector(args.detector, args.detector_model), args


def extract_one(item: dict) -> dict:
    """Extract one video's faces and write its arrays; returns its index.csv row."""
    args, out = settings, Path(settings.out)
    row = {**item, "fps": "", "frames": 0, "kept": 0, "face_rate": 0.0, "detector": detector.name}
    try:
        faces = common.extract_faces(Path(item["path"]), detector, args.size, args.margin, args.detect_width,
                                     args.detect_every, args.max_gap, args.smooth)
    except common.VideoError as err:
        tqdm.write(f"warning: {item['path']}: unreadable ({err}); skipped")
        return {**row, "status": "unreadable"}
    row.update(fps=round(faces["fps"], 3), frames=faces["frames"], kept=len(faces["crops"]),
               face_rate=round(faces["face_rate"], 4))
    if len(faces["crops"]) == 0:
        tqdm.write(f"warning: {item['path']}: no face found in {faces['frames']} frames; skipped")
        return {**row, "status": "no_face"}
    vid = item["video_id"]
    common.save_atomic(out / f"{vid}.npy", lambda tmp: np.save(tmp, faces["crops"]))
    common.save_atomic(out / f"{vid}.meta.npz", lambda tmp: np.savez(
        tmp, frame_idx=faces["frame_idx"], boxes=faces["boxes"], detected=faces["detected"],
        interpolated=faces["interpolated"], fps=faces["fps"]))
    return {**row, "status": "ok"}


def main(argv=None):
    args = parse_args(argv)
    videos, out = Path(args.videos), Path(args.out)
    if args.demo:
        make_demo(args, videos)
    if not videos.is_dir():
        sys.exit(f"error: {videos} does not exist. Put videos in {videos}/real and {videos}/fake, "
                 "or run with --demo to make a synthetic set.")
    items = list_videos(videos)
    if not items:
        sys.exit(f"error: no videos under {videos}/real or {videos}/fake (extensions: "
                 f"{', '.join(sorted(common.VIDEO_EXTENSIONS))}).")
    common.make_detector(args.detector, args.detector_model)  # fail here, once, if it cannot load
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.time()
    with multiprocessing.Pool(args.workers, initializer=start_worker, initargs=(args,)) as pool:
        rows = list(tqdm(pool.imap(extract_one, items), total=len(items), desc="extracting faces", unit="video"))
    common.write_csv(out / "index.csv", rows, common.INDEX_FIELDS)
    settings = {k: getattr(args, k) for k in ("size", "margin", "detector", "detect_width", "detect_every", "max_gap", "smooth")}
    common.write_json(out / "settings.json", {**settings, "detector_model": args.detector_model})

    seconds = time.time() - t0
    frames = sum(int(r["frames"]) for r in rows)
    status = {s: sum(r["status"] == s for r in rows) for s in ("ok", "unreadable", "no_face")}
    print(f"{len(rows)} videos: {status['ok']} ok, {status['no_face']} without a face, "
          f"{status['unreadable']} unreadable | {frames} frames in {seconds:.1f}s ({frames / max(seconds, 1e-9):.0f} frames/s)")
    print(f"wrote {out / 'index.csv'}; next: python 02_make_clips.py")


if __name__ == "__main__":
    main()
