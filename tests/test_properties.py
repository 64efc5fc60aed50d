"""Properties that hold for any string: nothing raises, offsets map back into the user's
text, evidence quotes the user's text, flags have readable reasons, results do not depend on
the run or the thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vnmod
from vnmod.backends.rules import RulesBackend
from vnmod.reasons import readable
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import normalise

# Pieces the normaliser and the rules react to, so random posts reach their code paths.
FRAGMENTS = [
    "đm", "ĐM", "đ.m", "vl", "vcl", "cc", "l0n", "lồn", "địt mẹ", "thằng", "óc chó", "ngu",
    "m ngu à", "con bò nhà bác", "mình ngu quá", "thi vl", "check dm", "120 cm", "110 cc",
    "1m8", "500k", "2tr5", "0905123456", "09xx.xxx.xxx", "+84 912 345 678", "zalo", "ib",
    "www.nhacai88.vip", "http://x.co/a?b=1", "a@b.vn", "<url>", "<phone>", "chia sẻ gấp",
    "Bộ Y tế xác nhận", "nhận làm bằng đại học", "hoà", "thuý", "quáaaa", "đẹpp", "d i t",
    "v-c-l", "\u200b", "\u00ad", "ｌｏｎ", "𝐥𝐨𝐧", "①", "İ", "ß", "ﬁ", "e\u0301", "a\u0323\u0302",
    "😀", "🖕", "👨\u200d👩\u200d👧", "!!!", "...", "???", "\n", "\t", "\r\n", " ", "\x00",
    "\x1b[31m", "\ud800", "\udfff", "\ud83d", "\U0010ffff", "\ufeff", "\u202e",
]
CHARS = st.one_of(
    st.characters(),                                         # any code point but surrogates
    st.characters(categories=["Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Mn"]),
    st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩị"
                    "òóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ0123456789 .,!?-_*'/|@$<>"),
)
TEXT = st.one_of(
    st.text(CHARS, max_size=80),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(CHARS, max_size=6)),
             max_size=15).map(" ".join),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(CHARS, max_size=3)),
             max_size=15).map("".join),
    st.builds(lambda s, n: s * n,                            # huge repeats
              st.one_of(st.sampled_from(FRAGMENTS), st.text(CHARS, min_size=1, max_size=4)),
              st.integers(100, 1500)),
)
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def model():
    return vnmod.load()


@pytest.fixture(scope="module")
def rules():
    return RulesBackend()


def _plain(pred) -> dict:
    return pred.to_dict(legal_basis=False)


# -- normalisation ----------------------------------------------------------------------------

@SETTINGS
@given(TEXT)
def test_normalise_never_raises_and_maps_back_into_the_original(text):
    assert vnmod.normalise is normalise
    doc = normalise(text)
    assert doc.original == text
    n, size = len(doc.text), len(text)
    assert len(doc.starts) == n and len(doc.ends) == n
    for i in range(n):
        s, e = doc.to_original(i, i + 1)
        assert 0 <= s <= e <= size, (i, s, e)
    if n:
        s, e = doc.to_original(0, n)
        assert 0 <= s <= e <= size
    for a, b in doc.obfuscated:
        assert 0 <= a < b <= n
    assert len(doc.ascii) == n


# -- rules ------------------------------------------------------------------------------------

@SETTINGS
@given(TEXT)
def test_rules_never_raise_and_quote_the_original(rules, text):
    views, evidence, bounds = rules.analyse([normalise(text)])
    scores = views["rules"]
    assert scores.shape == (1, len(CATEGORIES)) and bounds.shape == (1, len(CATEGORIES), 2)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert (bounds[..., 0] <= bounds[..., 1]).all()
    for e in evidence[0]:
        assert 0 <= e.start <= e.end <= len(text)
        assert text[e.start:e.end] == e.text


# -- the classifier ---------------------------------------------------------------------------

@SETTINGS
@given(TEXT)
def test_predict_never_raises_and_every_flag_has_a_readable_reason(model, text):
    pred = model.predict(text)
    assert pred.text == text
    assert set(pred.scores) == set(CATEGORIES)
    assert all(0.0 <= v <= 1.0 for v in pred.scores.values())
    for e in pred.evidence:
        assert 0 <= e.start <= e.end <= len(text)
        assert text[e.start:e.end] == e.text, e
    for cat in pred.labels:
        assert any(e.category == cat and readable(e, text) for e in pred.evidence), cat
    if pred.status.startswith("empty"):
        assert pred.labels == [] and set(pred.scores.values()) == {0.0}


@SETTINGS
@given(TEXT)
def test_predict_is_deterministic(model, text):
    first = _plain(model.predict(text))
    again = _plain(model.predict(text))
    assert first == again
    assert _plain(model.predict([text, text])[1]) == first


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(TEXT, min_size=1, max_size=8))
def test_predict_gives_the_same_answers_in_threads(model, texts):
    serial = [_plain(p) for p in model.predict(texts)]
    work = texts * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        singles = list(pool.map(lambda t: _plain(model.predict(t)), work))
        batches = list(pool.map(lambda _: [_plain(p) for p in model.predict(texts)], range(4)))
    assert singles == serial * 3
    assert all(b == serial for b in batches)
