"""``python -m vnmod.data {summary,training,near-copies}``: corpus reports."""

from __future__ import annotations

import argparse
import sys

from vnmod.data import (
    CATEGORIES,
    CORPORA,
    load_corpus,
    load_training_frame,
    near_copies_between_splits,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vnmod.data", description=__doc__)
    parser.add_argument("command", choices=["summary", "training", "near-copies"])
    parser.add_argument("--data-dir", help="public corpora folder (default $VNMOD_DATA_DIR)")
    parser.add_argument("--labelled-dir", help="vnmod labelled folder (default data/labelled)")
    parser.add_argument("--threshold", type=float, default=0.8, help="near-copy Jaccard")
    args = parser.parse_args(argv)
    import pandas as pd

    pd.set_option("display.width", 160)
    pd.set_option("display.max_colwidth", 70)
    if args.command == "summary":
        rows, dropped = [], {}
        for name in CORPORA:
            where = args.labelled_dir if name == "vnmod_labelled" else args.data_dir
            frame = load_corpus(name, data_dir=where)
            for split, part in frame.groupby("split", sort=False):
                counts = part[list(CATEGORIES)].sum().to_dict()
                rows.append({"corpus": name, "split": split, "rows": len(part), **counts})
            dropped[name] = frame.attrs["dropped"]
        print(pd.DataFrame(rows).to_string(index=False))
        print("\ndropped rows:")
        print(pd.DataFrame(dropped).T.to_string())
    elif args.command == "training":
        frame = load_training_frame(data_dir=args.data_dir, labelled_dir=args.labelled_dir)
        print(pd.DataFrame(frame.attrs["report"]).T.to_string())
        print(f"total {len(frame)} rows; held out: dev/test of {frame.attrs['holdout']}")
    else:
        frame = load_corpus("vnmod_labelled", data_dir=args.labelled_dir)
        report = near_copies_between_splits(frame, args.threshold)
        counts = frame["split"].value_counts().to_dict()
        print(f"vnmod_labelled: {counts}; {frame['group'].nunique()} families")
        print(f"{len(report)} test rows have a train near-copy (Jaccard >= {args.threshold})")
        if len(report):
            print(report.drop(columns=["test_index", "train_index"]).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
