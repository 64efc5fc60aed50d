"""Every command in README.md's ```bash blocks is run by this test, or listed here with why not.

The commands are read from the README itself, so a command added there is run here (and fails
the test if it cannot run in a fresh folder without the corpora) unless it is listed in
``NOT_RUNNABLE`` with a reason and a check that stands in for running it. Placeholder files the
README names (``posts.csv``, ``my_labels.csv``, ``models/mine``...) are made from
``data/examples/posts.csv`` in a temporary folder, with ``VNMOD_DATA_DIR`` an empty folder.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = ROOT / "data" / "examples" / "posts.csv"

# Parts of a ```bash line that are not vnmod commands. The set-up block's venv + pip install
# line and the tests block's `python -m pytest` are what .ci/run itself runs (install, then the
# tests), so they are covered there, not here. Any other non-vnmod part fails the test.
NOT_VNMOD = ("python3 -m venv ", "pip install ", ". .venv/bin/activate", "python -m pytest")


def readme_commands() -> list[str]:
    """The `vnmod ...` commands of README.md's ```bash blocks, in order, without duplicates.

    Comments (`# ...`) are dropped, `[--option ...]` brackets are removed (the option is kept
    and run), and `A|B` alternatives become `A`.
    """
    blocks = re.findall(r"^```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)
    found: list[str] = []
    for line in "\n".join(blocks).splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if not words:
                continue
            text = shlex.join(words)
            if words[0] != "vnmod":
                assert text.startswith(NOT_VNMOD), f"README runs {text!r}: not a vnmod " \
                    "command and not one .ci/run covers; test it here or list it in NOT_VNMOD"
                continue
            words = [w.lstrip("[").rstrip("]") for w in words]  # [--opt x]: run with it
            command = shlex.join(w.split("|")[0] for w in words)  # A|B -> A
            if command not in found:
                found.append(command)
    return found


COMMANDS = readme_commands()


def _parses(command: str) -> None:
    from vnmod.cli import build_parser

    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.func is not None


def _recipe_parses(command: str) -> None:
    from vnmod.train import Recipe

    path = shlex.split(command)[shlex.split(command).index("--config") + 1]
    recipe = Recipe.from_file(ROOT / path)
    assert recipe.sources and recipe.output
    _parses(command)


def _phobert_options_parse(command: str) -> None:
    from vnmod.cli import build_parser

    args = build_parser().parse_args(shlex.split(command)[1:])
    assert (args.backend, args.base_model) == ("phobert", "vinai/phobert-base")
    train_help = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "--backend" in train_help and "--base-model" in train_help


# README commands that cannot run here, why, and the check run instead.
NOT_RUNNABLE = {
    "vnmod train --config models/recipes/vnmod-base.toml": (
        "rebuilds the shipped model from the public corpora: about 4 minutes and needs "
        "$VNMOD_DATA_DIR; checked: the recipe parses with Recipe.from_file", _recipe_parses),
    "vnmod train --backend phobert --base-model vinai/phobert-base": (
        "fine-tunes PhoBERT: needs downloaded weights, torch and the corpora; checked: the "
        "options parse and `train --help` lists them", _phobert_options_parse),
    "vnmod export-onnx models/mine --int8": (
        "exports a model's PhoBERT part, and models/mine (linear + rules) has none; needs a "
        "PhoBERT model and onnx; checked: argparse accepts the command", _parses),
}

# README commands that run only where the public corpora are present.
NEEDS_CORPORA = {
    "vnmod evaluate --data vihsd:test --task vihsd --report report.json":
        "evaluates on the ViHSD test split, one of the public corpora",
}


def corpora() -> Path | None:
    found = Path(os.environ.get("VNMOD_DATA_DIR") or ROOT.parent / "shared" / "data")
    return found.resolve() if (found / "vihsd").is_dir() else None


CORPORA = corpora()  # read before any test points VNMOD_DATA_DIR at an empty folder


def test_readme_has_commands_and_every_listed_one_is_still_there():
    assert len(COMMANDS) >= 10, COMMANDS
    stale = (set(NOT_RUNNABLE) | set(NEEDS_CORPORA)) - set(COMMANDS)
    assert not stale, f"listed here but no longer in README.md: {sorted(stale)}"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder holding every file the README's commands name."""
    ws = tmp_path_factory.mktemp("readme")
    (ws / "data" / "examples").mkdir(parents=True)
    (ws / "data" / "examples" / "posts.csv").write_bytes(EXAMPLES.read_bytes())
    with EXAMPLES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # posts.csv with the text under the README's `--text-column noi_dung`.
    with (ws / "posts.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "noi_dung", "expected"])
        out.writerows([r["id"], r["text"], r["expected"]] for r in rows)
    with (ws / "posts.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n")
    header = ["id", "text", "expected"]
    for name, part in [("my_labels.csv", rows), ("my_dev.csv", rows[::3]),
                       ("my_test.csv", rows[1::3])]:
        with (ws / name).open("w", encoding="utf-8", newline="") as fh:
            out = csv.DictWriter(fh, header)
            out.writeheader()
            out.writerows(part)
    # export.csv: an export with authors and dates, as the case-file commands expect.
    with (ws / "export.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "author", "created_time", "text"])
        out.writerows([r["id"], f"user{i % 7}", f"{1 + i % 28:02d}/0{6 + i % 2}/2026", r["text"]]
                      for i, r in enumerate(rows))
    (ws / "empty_data_dir").mkdir()
    return ws


def _run(argv: list[str], capsys) -> str:
    from vnmod.cli import main

    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 0, f"vnmod {shlex.join(argv)} exited {rc}: {captured.err[-2000:]}"
    return captured.out


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command(command, workspace, monkeypatch, capsys):
    if command in NOT_RUNNABLE:
        _reason, check = NOT_RUNNABLE[command]
        check(command)
        return
    argv = shlex.split(command)[1:]
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("VNMOD_DATA_DIR", str(workspace / "empty_data_dir"))
    if command in NEEDS_CORPORA:
        if CORPORA is None:
            pytest.skip(f"{NEEDS_CORPORA[command]}; not found (set VNMOD_DATA_DIR)")
        monkeypatch.setenv("VNMOD_DATA_DIR", str(CORPORA))
    # A command reading models/mine needs it trained, also when run alone (-k).
    outputs = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-o", "--output",
                                                                     "--report")}
    if "models/mine" in argv and "models/mine" not in outputs \
            and not (workspace / "models" / "mine").is_dir():
        _run(["train", "--labelled", "my_labels.csv", "-o", "models/mine"], capsys)
    for path in outputs:
        if (workspace / path).is_file():
            (workspace / path).unlink()
    out = _run(argv, capsys)
    for path in outputs:
        assert (workspace / path).exists(), f"{command} did not write {path}"
    if argv[0] in ("classify", "categories", "evaluate"):
        assert out.strip(), f"{command} printed nothing"
    if argv[0] == "classify":
        assert all(text in out for text in argv[1:] if not text.startswith("-")), out
    if argv[0] == "categories" and "--json" in argv:
        assert json.loads(out)
    if argv[0] == "score" and "--text-column" in argv:
        with (workspace / argv[argv.index("-o") + 1]).open(encoding="utf-8-sig", newline="") as fh:
            scored = list(csv.DictReader(fh))
        assert len(scored) == 60 and scored[0]["noi_dung"] and "label" in scored[0]
