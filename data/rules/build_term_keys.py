"""Rebuild ``src/vnmod/resources/term_keys.json``: the shipped lexicons' terms as the rule
engine looks them up (see ``vnmod.rules.term_keys``). Run after changing a lexicon, the
normaliser or its data; a test fails while the file is stale.

    python data/rules/build_term_keys.py
"""

from __future__ import annotations

import json
import sys

from vnmod.rules import term_keys

if __name__ == "__main__":
    path = term_keys.write()
    keys = json.loads(path.read_text(encoding="utf-8"))["keys"]
    print(f"{len(keys)} term keys -> {path}")
    sys.exit(0)
