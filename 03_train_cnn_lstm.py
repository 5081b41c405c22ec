"""Step 3: train the CNN-LSTM (or GRU), or the frame-level baseline, on the clips from step 2.

Reads   --clips (default data/clips): clips.csv, and the face arrays it points to
Writes  --out (default runs/cnn_lstm): config.json (every setting), metrics.csv (one row per
        epoch), best.pt (the best epoch's weights), last.pt (all that --resume needs)

A small 2D CNN encodes every face crop of a clip; an LSTM reads the sequence of encodings and
says whether the clip is fake. By default the CNN sees the difference between each frame and the
one before it, which makes temporal artefacts (flicker, jitter, stutter) visible to it; --input
rgb gives it the plain frames, --input both the two stacked.
With --temporal mean the same CNN sees single frames and the clip score is the mean over frames:
a frame-level baseline, blind to the order of frames, that shows what the temporal model adds.

With --pseudo-fakes (real videos, docs/real-footage.md), every real clip comes with a fake
made from it, fresh every epoch. It prints the model's parameter count and FLOPs per clip, what it
learns from, then one line per epoch ('*': the best validation AUC so far, saved in best.pt). The training
loop, its flags (--resume, --region, --clip-len, --schedule, ...) and torchrun are common.py's
section 8 and docs/scripts.md, "03 and 04: training".

The code: the model is common.py, class CNNLSTM (section 7 "Models"; it encodes each frame with
class FrameEncoder), built in main() below; the training loop is common.train (section 8
"Training"); the clips it learns from, class ClipDataset (section 5 "Clips, augmentation and
perturbation"), and their pseudo-fakes, common.make_pseudo_fake (section 6 "Pseudo-fakes"). In
what order to read them: docs/reading-the-code.md.

Run:
    python 03_train_cnn_lstm.py                                          # CNN-LSTM
    python 03_train_cnn_lstm.py --temporal mean --out runs/frame_baseline   # frame-level baseline
    python 03_train_cnn_lstm.py --temporal gru --epochs 20
    python 03_train_cnn_lstm.py --region mouth --out runs/lstm_mouth     # the lower half of the face only
    python 03_train_cnn_lstm.py --resume                                 # continue an interrupted run
    python 03_train_cnn_lstm.py --encoder lite0 --input-size 64          # ImageNet-pretrained frame encoder
    python 03_train_cnn_lstm.py --clips data/clips_real --pseudo-fakes all --contact-sheet fakes.png
                                                   # look at the pseudo-fakes before training on them
    python 03_train_cnn_lstm.py --clips data/clips_real --pseudo-fakes all --epochs 8 --out runs/real/cnn_lstm
                                                   # real videos only, each clip paired with a pseudo-fake
    torchrun --nproc_per_node=2 03_train_cnn_lstm.py                     # 2 processes (GPUs, or CPU shares)
"""

import argparse

import common


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_training_args(p, epochs=12, lr=6e-3, batch_size=16, out="runs/cnn_lstm")
    p.add_argument("--temporal", choices=["lstm", "gru", "mean"], default="lstm",
                   help="sequence model over frame features; mean = frame-level baseline (default: %(default)s)")
    p.add_argument("--input", choices=["auto", *common.INPUTS], default="auto",
                   help="what the CNN sees per frame: the frame, its difference to the previous one, or both; "
                        "auto = diff for lstm/gru, rgb for the mean baseline, which must not see motion, and rgb "
                        "with --encoder lite0 (default: %(default)s)")
    p.add_argument("--hidden", type=int, default=64, help="size of the frame features and of the LSTM state (default: %(default)s)")
    p.add_argument("--width", type=int, default=16, help="channels of the CNN's first layer (default: %(default)s)")
    p.add_argument("--bidirectional", action="store_true", help="read the sequence in both directions (default: forward only)")
    args = p.parse_args(argv)
    if args.input == "auto":
        args.input = "rgb" if args.temporal == "mean" or args.encoder == "lite0" else "diff"
    return args


def main(argv=None):
    args = parse_args(argv)
    common.seed_everything(args.seed)  # first: the model's initial weights are random too
    try:
        model = common.CNNLSTM(temporal=args.temporal, input=args.input, hidden=args.hidden, width=args.width,
                               bidirectional=args.bidirectional, encoder=args.encoder)
    except (ValueError, RuntimeError) as err:  # lite0 on frame differences, or its wheel missing
        raise SystemExit(f"error: {err}") from None
    if args.contact_sheet:
        return common.draw_contact_sheet(args)
    common.train(model, args, {"model": "cnn_lstm"})


if __name__ == "__main__":
    main()
