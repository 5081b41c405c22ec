"""Benchmark of face extraction on real talking-head videos: speed and track stability.

Prints, in one run on the same videos:
  - decode-only frames/s (OpenCV reading every frame, nothing else, one process);
  - a typical course script: Haar on every full-resolution frame, largest face (one process);
  - 01_extract_faces.py with its default settings (as a user runs it: all cores; the face mesh on
    every frame), with --mesh off (five points only, as before the mesh), and with --workers 1;
and per video the face rate and the box jitter (mean frame-to-frame shift of the box centre divided
by the box side) of the per-frame Haar track and of 01's smoothed track.
Then the face mesh's own noise: the same frame of a real clip held still for 50 frames, with a
camera's sensor noise (Gaussian, 2 grey levels) and a JPEG encode per frame; the mean speed of the
lip points, in eye distances per frame, on that still face against the real clip while it speaks.
The dynamics curves and the motion cues (benchmarks/motion_cues.py) are only meaningful well above that floor.

Run (from the repository root):
    python benchmarks/bench_extract.py                                   # ../shared's real clips
    python benchmarks/bench_extract.py --videos DIR --detector-model face_detection_yunet_2023mar.onnx
"""

import argparse
import csv
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402


def decode_only(paths):
    frames, t0 = 0, time.time()
    for p in paths:
        frames += sum(1 for _ in common.iter_frames(p))
    return frames, time.time() - t0


def haar_every_frame(paths):
    """Haar on each full-resolution frame, largest face: boxes per video, and the time taken."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    tracks, t0 = {}, time.time()
    for p in paths:
        boxes = []
        for frame in common.iter_frames(p):
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            side = max(24, min(gray.shape) // 8)
            found = cascade.detectMultiScale(gray, 1.1, 4, minSize=(side, side))
            boxes.append(max(found, key=lambda b: b[2] * b[3]).astype(float) if len(found) else np.full(4, np.nan))
        tracks[p] = np.array(boxes)
    return tracks, time.time() - t0


def jitter(boxes):
    """Mean frame-to-frame shift of the box centre over the box side (pairs of found frames)."""
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    shift = np.linalg.norm(np.diff(centres, axis=0), axis=1) / boxes[1:, 2]
    return float(np.nanmean(shift))


def lip_speed(mesh):
    """Mean frame-to-frame speed of the lip points, in eye distances (3D, outer eye corners)."""
    eyes = np.linalg.norm(mesh[:, 33] - mesh[:, 263], axis=-1).mean()
    lips = mesh[:, common.MESH_LIPS_OUTER + common.MESH_LIPS_INNER] - mesh[:, [common.MESH_POINTS["nose_tip"]]]
    return float(np.linalg.norm(np.diff(lips, axis=0), axis=-1).mean() / eyes)


def mesh_noise(path, tmp):
    """(lip speed on a still face, lip speed while speaking, clip name), or None without a mesh."""
    try:
        mesher = common.FaceMesh()
    except common.DetectorError as err:
        print(f"no mesh noise measured: {err}")
        return None
    detector = common.make_detector("yunet")
    speaking = common.extract_faces(path, detector, size=128, fps=25, mesher=mesher)
    frame = next(common.iter_frames(path))
    rng = np.random.default_rng(0)
    still = tmp / "still.avi"
    writer = cv2.VideoWriter(str(still), cv2.VideoWriter_fourcc(*"MJPG"), 25, (frame.shape[1], frame.shape[0]))
    for _ in range(50):
        writer.write(np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8))
    writer.release()
    held = common.extract_faces(still, detector, size=128, fps=25, mesher=mesher)
    return lip_speed(held["mesh"]), lip_speed(speaking["mesh"]), path.name


def run_01(videos_dir, out, extra):
    cmd = [sys.executable, str(ROOT / "01_extract_faces.py"), "--videos", str(videos_dir), "--out", str(out), *extra]
    t0 = time.time()
    result = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if result.returncode != 0:
        sys.exit(f"01_extract_faces.py failed:\n{result.stderr[-2000:]}")
    fps = float(re.search(r"\(([\d.]+) frames/s\) with (\w+)", result.stdout).group(1))
    detector = re.search(r"frames/s\) with (\w+)", result.stdout).group(1)
    with open(out / "index.csv", newline="") as f:
        return {r["path"]: r for r in csv.DictReader(f)}, fps, wall, detector


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--videos", default=str(ROOT.parent / "shared" / "data" / "real_talking_faces"),
                   help="folder of videos, searched recursively (default: %(default)s)")
    p.add_argument("--detector-model", default=None, help="YuNet .onnx for 01 (default: 01's auto choice)")
    args = p.parse_args()
    paths = sorted(q for q in Path(args.videos).rglob("*") if q.suffix.lower() in common.VIDEO_EXTENSIONS)
    if not paths:
        sys.exit(f"error: no videos under {args.videos}")
    cv2.setNumThreads(1)  # one process, one thread: the single-core baselines

    frames, t_decode = decode_only(paths)
    haar, t_haar = haar_every_frame(paths)
    with tempfile.TemporaryDirectory() as tmp:
        layout = Path(tmp) / "videos" / "real"  # 01 wants real/ and fake/ folders: link the files in
        layout.mkdir(parents=True)
        links = {}
        for i, q in enumerate(paths):
            link = layout / f"{i:03d}_{q.name}"
            link.symlink_to(q.resolve())
            links[str(link)] = q
        extra = ["--detector-model", args.detector_model] if args.detector_model else []
        rows, fps_01, wall_01, detector = run_01(layout.parent, Path(tmp) / "faces", extra)
        _, fps_01_five, _, _ = run_01(layout.parent, Path(tmp) / "faces5", extra + ["--mesh", "off"])
        _, fps_01_one, _, _ = run_01(layout.parent, Path(tmp) / "faces1", extra + ["--workers", "1"])
        shutil.rmtree(Path(tmp) / "faces1", ignore_errors=True)
        noise = mesh_noise(paths[len(paths) // 2], Path(tmp))
    by_source = {links[k]: v for k, v in rows.items()}

    print(f"{len(paths)} videos, {frames} frames\n")
    print(f"{'video':<44} {'frames':>6} {'face rate 01':>12} {'jitter 01':>10} {'jitter Haar/frame':>17}")
    j01, jh = [], []
    for q in paths:
        r = by_source[q]
        j01.append(float(r["jitter"]) if r["jitter"] else np.nan)
        jh.append(jitter(haar[q]))
        print(f"{str(q.relative_to(args.videos))[:44]:<44} {r['frames']:>6} {float(r['face_rate']):>12.3f} "
              f"{j01[-1]:>10.4f} {jh[-1]:>17.4f}")
    decode_fps = frames / t_decode
    print(f"\ndecode only (1 process):                 {decode_fps:8.0f} frames/s")
    print(f"Haar on every full-res frame (1 process): {frames / t_haar:8.0f} frames/s")
    print(f"01_extract_faces.py, defaults ({detector}):    {fps_01:8.0f} frames/s  = {fps_01 / decode_fps:.2f}x decode-only "
          f"({wall_01:.1f}s wall with start-up)")
    print(f"01_extract_faces.py, --mesh off:         {fps_01_five:8.0f} frames/s  (the mesh costs "
          f"{100 * (1 - fps_01 / fps_01_five):.0f}% of the speed: {1000 * (1 / fps_01 - 1 / fps_01_five):.1f} ms a frame "
          "over all cores)")
    print(f"01_extract_faces.py, --workers 1:        {fps_01_one:8.0f} frames/s  = {fps_01_one / decode_fps:.2f}x decode-only")
    if noise:
        still, speech, name = noise
        print(f"face mesh noise ({name}): lip speed {still:.4f} eye distances a frame on the still face, "
              f"{speech:.4f} while speaking: speech moves the lips {speech / still:.1f}x the mesh's own noise")
    print(f"lowest face rate of 01: {min(float(by_source[q]['face_rate']) for q in paths):.3f}")
    print(f"mean box jitter: 01 {np.nanmean(j01):.4f}, per-frame Haar {np.nanmean(jh):.4f} "
          f"(ratio {np.nanmean(j01) / np.nanmean(jh):.2f})")


if __name__ == "__main__":
    main()
