"""Step 4: train the 3D-CNN (C3D-style) on the clips from step 2.

Reads   --clips (default data/clips): clips.csv, and the face arrays it points to
Writes  --out (default runs/c3d): config.json, metrics.csv (one row per epoch), best.pt

3D convolutions slide over time as well as space, so every filter sees a few consecutive frames
at once: frame-to-frame changes (a mouth that stutters, a face that flickers) are what its first
layer measures. Same training loop, data and metrics as step 3; only the model differs.

Run:
    python 04_train_3dcnn.py
    python 04_train_3dcnn.py --epochs 20 --width 32
"""

import argparse

import common


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_training_args(p, epochs=10, lr=3e-3, batch_size=16, out="runs/c3d")
    p.add_argument("--width", type=int, default=16, help="channels of the first 3D convolution (default: %(default)s)")
    p.add_argument("--input", choices=common.INPUTS, default="rgb",
                   help="what the network sees per frame: the frame, its difference to the previous one, or both "
                        "(default: %(default)s: a 3D convolution can take differences itself)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    common.seed_everything(args.seed)  # first: the model's initial weights are random too
    common.train(common.C3D(width=args.width, input=args.input), args, {"model": "c3d"})


if __name__ == "__main__":
    main()
