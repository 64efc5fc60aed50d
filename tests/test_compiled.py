"""The modules setup.py compiles with mypyc give what their Python source gives, to the bit.

The same posts are normalised and scored in this process (compiled modules) and in a child
process run with ``VNMOD_PURE_PYTHON=1`` (every compiled module imported from its source).
Skipped where vnmod was installed as plain Python.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vnmod
from vnmod import _compiled

ROOT = Path(__file__).resolve().parents[1]

#: Posts that take the normaliser's and the rules' rarer paths.
HARD = [
    "Thuý ơi, ĐM thằng l0n nàyyyy, ib 0776234XXX",
    "may la thang ngu vai lon, di chet di",
    "Nhận làm bằng đại học giả, bao công chứng, lh zalo 0912xxx888",
    "ban tai khoan ngan hang chinh chu, stk + cccd, gia 500k",
    "d.i.t m.e m.a.y", "l o n", "c@c", "Đ ụ m á", "ＤＭ　ｍàｙ", "vaiiiiii lonnnn",
    "dieunay.Sharengay giá800k, 200kăn sáng, tù2năm",
    "Túi Chanel. 3 màu, giá 450k, hàng like auth 1:1",
    "Khẩn cấp! Ngày mai cắt điện toàn quốc 3 ngày, chia sẻ ngay",
    "Vay nóng 50tr không thế chấp, giải ngân trong ngày, FE Credit",
    "mày là thằng óc chó ngu hơn bò", "", ".", "🙂🙂🙂", "a" * 600,
    "Tuấn Nguyễn đi ăn lẩu ko, ngon vl", "Hôm nay trời đẹp vãi lồn",
    "https://bit.ly/abc nhận thưởng 5.000.000đ tại www.vongquay-tri-an.vn",
    "Vieejt Nam vo^ ddi.ch, hoa' tha`nh",
]


def _texts() -> list[str]:
    with open(ROOT / "data" / "examples" / "posts.csv", encoding="utf-8", newline="") as fh:
        posts = [row["text"] for row in csv.DictReader(fh)]
    return posts + HARD


def snapshot(texts: list[str]) -> list[dict]:
    """What the compiled modules decide for each text: the normalised text with its map back,
    and the shipped model's scores and evidence."""
    from vnmod.text.normalize import normalise

    clf = vnmod.load()
    out = []
    for text, p in zip(texts, clf.predict(texts), strict=True):
        n = normalise(text)
        out.append({"text": n.text, "starts": list(n.starts), "ends": list(n.ends),
                    "unaccented": n.unaccented, "obfuscated": [list(s) for s in n.obfuscated],
                    "scores": {k: repr(v) for k, v in p.scores.items()},
                    "evidence": sorted(repr(e) for e in p.evidence)})
    return out


@pytest.mark.skipif(not _compiled.loaded_compiled(),
                    reason="vnmod runs as plain Python here (no compiled modules)")
def test_compiled_modules_give_what_their_source_gives(tmp_path: Path) -> None:
    texts = _texts()
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    env = {**os.environ, "VNMOD_PURE_PYTHON": "1"}
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import test_compiled as t; "
            "from vnmod import _compiled; assert not _compiled.loaded_compiled(); "
            "print(json.dumps(t.snapshot(json.load(open(sys.argv[2], encoding='utf-8')))))")
    run = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                          str(tmp_path / "texts.json")], env=env, capture_output=True,
                         text=True, check=True)
    from_source = json.loads(run.stdout)
    compiled = snapshot(texts)
    assert len(compiled) == len(from_source) == len(texts)
    for text, a, b in zip(texts, compiled, from_source, strict=True):
        assert a == b, text
    # The comparison saw real work: flags, evidence and rewritten text.
    assert sum(bool(s["evidence"]) for s in compiled) > len(texts) // 2
    assert any(s["obfuscated"] for s in compiled) and any(s["unaccented"] for s in compiled)


def test_a_changed_source_runs_instead_of_its_compiled_copy(tmp_path: Path) -> None:
    """Under VNMOD_PURE_PYTHON=1 (as after an edit) no compiled module is in use."""
    code = ("from vnmod import _compiled; import vnmod.text.normalize as n; "
            "print(n.__file__, len(_compiled.loaded_compiled()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "VNMOD_PURE_PYTHON": "1"}).stdout.split()
    assert out[0].endswith("normalize.py") and out[1] == "0"


@pytest.mark.skipif(not _compiled.loaded_compiled(),
                    reason="vnmod runs as plain Python here (no compiled modules)")
def test_a_missing_shared_library_runs_the_source_with_a_warning() -> None:
    """Compiled modules whose shared library is gone (a build half removed) cannot load: vnmod
    says so and imports their source instead of failing at import."""
    code = """
import importlib.util, sys, warnings
where = importlib.util.find_spec("vnmod").submodule_search_locations[0]
spec = importlib.util.spec_from_file_location("vnmod._compiled", where + "/_compiled.py")
c = importlib.util.module_from_spec(spec)
spec.loader.exec_module(c)
c.LIBRARY = "vnmod_no_such_library__mypyc"
sys.modules["vnmod._compiled"] = c
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    import vnmod
    import vnmod.text.normalize as n
    print(n.__file__, len(c.loaded_compiled()), ",".join(vnmod.load().predict("đm mày").labels))
print(any("vnmod_no_such_library__mypyc" in str(w.message) for w in seen))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0].endswith("normalize.py") and out[1] == "0"
    assert "offensive" in out[2] and out[-1] == "True"
