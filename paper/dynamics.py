"""The face's dynamics of a real video and a fake one, side by side, as curves: the figure a student
looks at before any model (docs/real-footage.md, "Facial dynamics: the face mesh"; the paper and the slides).

Reads   the face arrays' meta files of 01_extract_faces.py with the mesh (--faces), two video ids
Writes  a PNG (--out): per video, mouth opening and width and jaw drop; the eyes' openings; the
        head's yaw, pitch and roll (common.face_signals), one value per kept frame, on one time axis

Run (from the repository root, after the recipe's step 1, docs/real-footage.md):
    python paper/dynamics.py --faces data/faces_all \\
        --videos talking_faces_dev__real__hyperlips__test_video1 talking_faces_dev__fake__hyperlips__result_video1 \\
        --out docs/figures/dynamics_real_fake.png
The pair above is a lip-sync fake (HyperLips) of the real video beside it: the same head motion and
blinks, another mouth.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import common  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--faces", default="data/faces_all", help="01's output folder, extracted with the mesh (default: %(default)s)")
    p.add_argument("--videos", nargs="+", required=True, help="video ids (index.csv's video_id), one column each")
    p.add_argument("--seconds", type=float, default=8.0, help="show at most this much of each video (default: %(default)s)")
    p.add_argument("--out", default="docs/figures/dynamics_real_fake.png", help="the PNG to write (default: %(default)s)")
    args = p.parse_args(argv)
    index = {r["video_id"]: r for r in common.read_csv(Path(args.faces) / "index.csv")}
    plt = common._pyplot()
    fig, axes = plt.subplots(common.SIGNAL_ROWS, len(args.videos), figsize=(3.6 * len(args.videos), 6.4), sharex=True,
                             sharey="row", squeeze=False)
    for col, vid in enumerate(args.videos):
        if vid not in index:
            sys.exit(f"error: {vid} is not in {args.faces}/index.csv")
        meta = np.load(Path(args.faces) / f"{vid}.meta.npz")
        if "mesh" not in meta:
            sys.exit(f"error: {vid} was extracted without the face mesh (01_extract_faces.py --mesh on)")
        keep = meta["frame_idx"] / float(meta["fps"]) <= args.seconds
        signals = {"fps": float(meta["fps"]), "frame_idx": meta["frame_idx"][keep],
                   **{k: v[keep] for k, v in common.face_signals(meta["mesh"]).items()}}
        common.plot_signals(axes[:, col], signals)
        row = index[vid]
        axes[0, col].set_title(f"{'REAL' if row['label'] == '0' else 'FAKE (' + row['method'] + ')'}: {vid.split('__')[-1]}",
                               fontsize=10)
        axes[-1, col].set_xlabel("time (s)")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    common.save_atomic(Path(args.out), lambda tmp: fig.savefig(tmp, dpi=130, format="png"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
