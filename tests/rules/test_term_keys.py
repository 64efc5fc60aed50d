"""The stored keys of the shipped lexicons' terms: current, and never used once stale."""

import json

from vnmod.rules import RuleEngine, load_lexicon, term_keys


def test_the_stored_keys_are_those_normalising_the_terms_gives_now():
    content = term_keys.stored()
    assert content is not None and content["sources"] == term_keys.sources_hash(), (
        "src/vnmod/resources/term_keys.json is missing or stale (a lexicon, the normaliser or "
        "its data changed): run python data/rules/build_term_keys.py")
    strings = term_keys.lexicon_strings()
    # Under other versions of regex or confusable_homoglyphs than it was built with, the
    # file is not used; its keys must still be what normalising the terms gives.
    assert {t: list(term_keys.compute(t)) for t in strings} == content["keys"]


def test_stale_keys_are_ignored_and_the_terms_normalised_at_load(monkeypatch, tmp_path):
    resources = tmp_path / "vnmod" / "resources"
    resources.mkdir(parents=True)
    (resources / term_keys.KEYS_FILE).write_text(json.dumps(
        {"sources": "0" * 64, "environment": term_keys.environment(),
         "keys": {"bán": ["wrong"]}}), encoding="utf-8")
    monkeypatch.setattr(term_keys, "_package", lambda: tmp_path / "vnmod")
    term_keys.shipped.cache_clear()
    try:
        assert term_keys.shipped() == {}
        engine = RuleEngine(load_lexicon())
        assert engine._term_key("bán") == ("bán",)
    finally:
        term_keys.shipped.cache_clear()


def test_an_engine_from_stored_keys_indexes_as_one_that_normalises_every_term(monkeypatch):
    lexicon = load_lexicon()
    stored = RuleEngine(lexicon)
    monkeypatch.setattr(term_keys, "shipped", lambda: {})
    computed = RuleEngine(lexicon)
    assert stored._exact == computed._exact and stored._ascii == computed._ascii
    assert stored._unless == computed._unless and stored.max_words == computed.max_words
