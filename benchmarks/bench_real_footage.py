"""Benchmark: the real-footage recipe (docs/real-footage.md), step by step, and 05 --video on a 720p clip.

Reads   docs/real-footage.md: the commands of the fenced block under "## The recipe" (so that what is
        timed is exactly what the documentation tells a user to run), and a 720p video to judge.
Writes  what the recipe writes (data/faces_shared, data/clips_ship, runs/ship/..., runs/report_ship_val)
        into --workdir, a fresh folder (the repository's weights/ and benchmarks/ are linked into
        it, for the manifests); prints the seconds of every step and of --video.

The recipe's goal on a 2-core CPU: under 60 minutes in all; --video on a 12 s 720p clip: under 10 s.
Run it from the repository root, with nothing else running on the machine:
    python benchmarks/bench_real_footage.py --workdir /tmp/recipe
    python benchmarks/bench_real_footage.py --skip-recipe --video ../shared/data/talking_faces_dev/real/hyperlips__test_video3.mp4
"""

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def recipe_commands(page: Path) -> list[str]:
    """The `python ...` lines of the first fenced block after the 'The recipe' heading."""
    text = page.read_text(encoding="utf-8")
    section = re.split(r"^#+ The recipe$", text, maxsplit=1, flags=re.M)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip().startswith("python ")]


def timed(command: str, cwd: Path) -> float:
    """Seconds of one command of the recipe, run in `cwd` with the repository's scripts."""
    words = shlex.split(command)
    words = [sys.executable, str(ROOT / words[1]) if (ROOT / words[1]).is_file() else words[1], *words[2:]]
    t0 = time.time()
    result = subprocess.run(words, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.time() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workdir", default=None, help="an empty folder for the recipe's data and runs (default: a new one in /tmp)")
    p.add_argument("--skip-recipe", action="store_true", help="only time --video (with the shipped weights, or --runs)")
    p.add_argument("--video", default=str(ROOT.parent / "shared/data/talking_faces_dev/real/hyperlips__test_video3.mp4"),
                   help="a 720p clip of about 12 s to judge (default: %(default)s)")
    p.add_argument("--runs", nargs="*", default=None,
                   help="runs for --video (default: the shipped verdict's two CNN-LSTMs, the recipe's runs/ship/cnn_lstm "
                        "and cnn_lstm_lips; with --skip-recipe weights/cnn_lstm and weights/cnn_lstm_lips)")
    args = p.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="recipe_"))
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        sys.exit(f"error: {work} is not empty; the recipe would skip the work already there. Give an empty --workdir.")
    (work / "weights").symlink_to(ROOT / "weights")  # same_person.csv, and the shipped weights for --video
    (work / "benchmarks").symlink_to(ROOT / "benchmarks")  # the recipe's manifest, shared_videos.csv
    total = 0.0
    if not args.skip_recipe:
        print(f"the real-footage recipe (docs/real-footage.md), step by step, in {work}:")
        for command in recipe_commands(ROOT / "docs" / "real-footage.md"):
            seconds = timed(command, work)
            total += seconds
            print(f"{seconds:8.1f} s  {command}", flush=True)
        print(f"{total:8.1f} s  in all ({total / 60:.1f} minutes; goal: under 60)")

    # the runs the recipe just trained, or the shipped weights
    runs = args.runs or [f"{'weights' if args.skip_recipe else 'runs/ship'}/{name}" for name in ("cnn_lstm", "cnn_lstm_lips")]
    command = f"python 05_evaluate.py --video {args.video} --runs {' '.join(runs)}"
    timed(command, work)  # once to warm the disk cache, as a user's second call would be
    seconds = min(timed(command, work) for _ in range(3))
    print(f"{seconds:8.1f} s  {command} (best of 3; goal: under 10)")


if __name__ == "__main__":
    main()
