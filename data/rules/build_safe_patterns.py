"""Rebuild ``src/vnmod/resources/safe_patterns.json``: the shipped lexicons' patterns checked
for catastrophic backtracking (see ``vnmod.rules.checked_patterns``). Run after changing a
lexicon's patterns or ``vnmod/rules/regex_safety.py``; a test fails while the file is stale.

    python data/rules/build_safe_patterns.py
"""

from __future__ import annotations

import json
import sys

from vnmod.rules import checked_patterns, load_lexicon

if __name__ == "__main__":
    patterns = [r.pattern for r in load_lexicon().rules if r.kind == "pattern"]
    path = checked_patterns.write(patterns)
    stored = json.loads(path.read_text(encoding="utf-8"))["patterns"]
    print(f"{len(patterns)} patterns, {len(stored)} variants checked safe -> {path}")
    sys.exit(0)
