"""Step 4: train the 3D-CNN (C3D-style) on the clips from step 2.

Reads   --clips (default data/clips): clips.csv, and the face arrays it points to
Writes  --out (default runs/c3d): config.json (every setting), metrics.csv (one row per epoch),
        best.pt (the best epoch's weights), last.pt (all that --resume needs)

3D convolutions slide over time as well as space, so every filter sees a few consecutive frames
at once: frame-to-frame changes (a mouth that stutters, a face that flickers) are what its first
layer measures. Same training loop, data, flags and metrics as step 3; only the model differs.

The code: the model is common.py, class C3D (section 7 "Models"), built in main() below; the
training loop is common.train (section 8 "Training"); the clips it learns from, class ClipDataset
(section 5 "Clips, augmentation and perturbation"), and their pseudo-fakes, common.make_pseudo_fake
(section 6 "Pseudo-fakes"). In what order to read them: docs/reading-the-code.md.

Run:
    python 04_train_3dcnn.py
    python 04_train_3dcnn.py --epochs 20 --width 32
    python 04_train_3dcnn.py --input diff --out runs/c3d_diff      # frame differences as input
    python 04_train_3dcnn.py --resume                              # continue an interrupted run
    python 04_train_3dcnn.py --encoder lite0 --input-size 64       # 3D convolutions over ImageNet features
    python 04_train_3dcnn.py --clips data/clips_real --pseudo-fakes all --epochs 8 --out runs/real/c3d
                                                   # real videos only, each clip paired with a pseudo-fake
    torchrun --nproc_per_node=2 04_train_3dcnn.py                  # 2 processes (GPUs, or CPU shares)
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
    try:
        model = common.C3D(width=args.width, input=args.input, encoder=args.encoder)
    except (ValueError, RuntimeError) as err:  # lite0 on frame differences, or its wheel missing
        raise SystemExit(f"error: {err}") from None
    if args.contact_sheet:
        return common.draw_contact_sheet(args)
    common.train(model, args, {"model": "c3d"})


if __name__ == "__main__":
    main()
