"""The legal basis is dated: each citation says when it applies, and a post gets the law in force
on its date (switch dates from ../shared/LEGAL.md, checked 2026-12-01)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

import vnmod
from vnmod._resources import read_toml
from vnmod.batch_output import legal_basis_records, legal_basis_text
from vnmod.cli import main
from vnmod.taxonomy import (
    CATEGORIES,
    LegalReference,
    TaxonomyError,
    as_date,
    legal_basis,
    load_taxonomy,
    parse_taxonomy,
)

D = dt.date


def numbers(category: str, day: str) -> set[str]:
    return {r.number for r in legal_basis(category, day)}


def cite(category: str, day: str, number: str) -> list[str]:
    return [r.article for r in legal_basis(category, day) if r.number == number]


# --- switch dates ----------------------------------------------------------------------------

@pytest.mark.parametrize("category", ["insult", "fake_news"])
def test_cybersecurity_law_2018_until_30_june_2026_then_2025_law(category):
    assert "24/2018/QH14" in numbers(category, "2026-06-30")
    assert "116/2025/QH15" not in numbers(category, "2026-06-30")
    assert "24/2018/QH14" not in numbers(category, "2026-07-01")
    assert "116/2025/QH15" in numbers(category, "2026-07-01")


def test_false_news_clause_is_16_5_in_2018_and_7_1_d_in_2025():
    assert cite("fake_news", "2026-06-30", "24/2018/QH14") == ["Điều 16 khoản 5"]
    assert cite("fake_news", "2026-07-01", "116/2025/QH15") == ["Điều 7 khoản 1 điểm d"]
    assert cite("insult", "2026-06-30", "24/2018/QH14") == ["Điều 16 khoản 3"]
    everything = [r.article for r in load_taxonomy()["fake_news"].legal_basis]
    assert "Điều 16 khoản 4" not in everything


@pytest.mark.parametrize("category", CATEGORIES)
def test_decree_15_2020_until_30_june_2026_then_decree_174_2026_article_95(category):
    before, after = cite(category, "2026-06-30", "15/2020/NĐ-CP"), \
        cite(category, "2026-07-01", "174/2026/NĐ-CP")
    assert before and all(a.startswith("Điều 101 ") for a in before)
    assert after and all(a.startswith("Điều 95 ") for a in after)
    assert "174/2026/NĐ-CP" not in numbers(category, "2026-06-30")
    assert "15/2020/NĐ-CP" not in numbers(category, "2026-07-01")


def test_decree_174_2026_points_and_fines_per_legal_md():
    assert cite("insult", "2026-07-01", "174/2026/NĐ-CP") == ["Điều 95 khoản 1 điểm a"]
    assert cite("offensive", "2026-07-01", "174/2026/NĐ-CP") == ["Điều 95 khoản 1 điểm b"]
    assert cite("fake_news", "2026-07-01", "174/2026/NĐ-CP") == ["Điều 95 khoản 1 điểm a",
                                                                "Điều 95 khoản 2 điểm c"]
    assert cite("illegal_ads", "2026-07-01", "174/2026/NĐ-CP") == ["Điều 95 khoản 1 điểm đ"]
    refs = {r.article: r for r in legal_basis("fake_news", "2026-07-01")}
    assert "20-30 triệu" in refs["Điều 95 khoản 1 điểm a"].summary
    assert "30-50 triệu" in refs["Điều 95 khoản 2 điểm c"].summary


def test_decree_144_2021_until_14_dec_2025_then_decree_282_2025():
    assert "144/2021/NĐ-CP" in numbers("insult", "2025-12-14")
    assert "282/2025/NĐ-CP" not in numbers("insult", "2025-12-14")
    assert "144/2021/NĐ-CP" not in numbers("insult", "2025-12-15")
    assert cite("insult", "2025-12-15", "282/2025/NĐ-CP") == ["Điều 8 khoản 3 điểm a"]
    for category in CATEGORIES:
        assert "144/2021/NĐ-CP" not in numbers(category, "2025-12-15")


def test_decree_72_2013_replaced_by_147_2024_which_stays_to_verify():
    assert "72/2013/NĐ-CP" in numbers("illegal_ads", "2024-12-24")
    assert "72/2013/NĐ-CP" not in numbers("illegal_ads", "2024-12-25")
    new = [r for r in legal_basis("illegal_ads", "2024-12-25") if r.number == "147/2024/NĐ-CP"]
    assert new and all(r.verify and r.verify_note for r in new)


def test_advertising_law_amended_from_2026_is_marked_to_verify():
    old = [r for r in legal_basis("illegal_ads", "2025-12-31") if r.number == "16/2012/QH13"]
    new = [r for r in legal_basis("illegal_ads", "2026-01-01") if r.number == "16/2012/QH13"]
    assert len(old) == len(new) == 1
    assert "75/2025/QH15" not in old[0].instrument and "75/2025/QH15" in new[0].instrument
    assert new[0].verify and "Điều 8 khoản 1" in new[0].article


def test_penal_code_titles_in_full():
    text = " ".join(r.summary for r in legal_basis("illegal_ads", "2026-12-01"))
    assert "cho vay lãi nặng trong giao dịch dân sự" in text
    assert "tổ chức đánh bạc hoặc gá bạc" in text
    assert "làm giả con dấu, tài liệu của cơ quan, tổ chức" in text


# --- every citation is dated; no category is left without one --------------------------------

def test_every_citation_carries_dates_and_verify_notes():
    for cat in load_taxonomy().values():
        for ref in cat.legal_basis:
            assert isinstance(ref.in_force_from, D), ref
            assert ref.in_force_until is None or ref.in_force_until >= ref.in_force_from, ref
            assert ref.instrument and ref.number in ref.instrument and ref.article and \
                ref.summary, ref
            assert not ref.verify or ref.verify_note, ref
            d = ref.to_dict()
            assert d["in_force_from"] == ref.in_force_from.isoformat()
            assert d["in_force_until"] in (None, ref.in_force_until and
                                           ref.in_force_until.isoformat())
            json.dumps(d)


@pytest.mark.parametrize("day", ["2026-12-01", "2025-01-01"])
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_has_a_citation_in_force(category, day):
    assert legal_basis(category, day)


@pytest.mark.parametrize("category", CATEGORIES)
def test_no_gap_since_the_directive(category):
    """Every day from the directive (May 2021) on has a citation: checked at each switch."""
    days = {D(2021, 5, 1)}
    for ref in load_taxonomy()[category].legal_basis:
        days |= {ref.in_force_from, ref.in_force_from - dt.timedelta(days=1)}
        if ref.in_force_until:
            days |= {ref.in_force_until, ref.in_force_until + dt.timedelta(days=1)}
    for day in sorted(d for d in days if d >= D(2021, 5, 1)):
        assert legal_basis(category, day), (category, day)


def test_category_legal_basis_keeps_past_and_current():
    refs = load_taxonomy()["fake_news"].legal_basis
    assert {"24/2018/QH14", "116/2025/QH15"} <= {r.number for r in refs}


# --- dates in, dates out ----------------------------------------------------------------------

def test_as_of_accepts_date_datetime_iso_string_and_none():
    expected = legal_basis("fake_news", D(2026, 7, 1))
    assert legal_basis("fake_news", dt.datetime(2026, 7, 1, 23, 59)) == expected
    assert legal_basis("fake_news", "2026-07-01") == expected
    assert legal_basis("fake_news", "2026-07-01T08:00:00") == expected
    assert legal_basis("fake_news") == legal_basis("fake_news", dt.date.today())
    assert vnmod.legal_basis is legal_basis and "legal_basis" in vnmod.__all__


def test_bad_date_or_category_is_a_clear_error():
    with pytest.raises(ValueError, match="not a valid date: '2026-13-01'"):
        legal_basis("insult", "2026-13-01")
    with pytest.raises(ValueError, match="unknown category 'spam'"):
        legal_basis("spam", "2026-07-01")
    with pytest.raises(TypeError):
        as_date(20260701)  # type: ignore[arg-type]


def test_in_force_on_includes_both_ends_and_str_states_the_dates():
    ref = next(r for r in legal_basis("fake_news", "2026-06-30") if r.number == "24/2018/QH14")
    assert isinstance(ref, LegalReference)
    assert ref.in_force_on("2019-01-01") and ref.in_force_on("2026-06-30")
    assert not ref.in_force_on("2018-12-31") and not ref.in_force_on("2026-07-01")
    assert "01/01/2019" in str(ref) and "30/06/2026" in str(ref)
    assert str(ref).startswith("Điều 16 khoản 5, Luật An ninh mạng số 24/2018/QH14")
    assert str(ref).endswith("[cần kiểm tra]")


# --- the TOML is checked on load --------------------------------------------------------------

def _broken(edit) -> dict:
    data = copy.deepcopy(read_toml("taxonomy.toml"))
    edit(data)
    return data


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["category"][0]["legal_basis"][0].pop("in_force_from"), "in_force_from is missing"),
    (lambda d: d["category"][0]["legal_basis"][0].update(in_force_until=D(2000, 1, 1)),
     "is after in_force_until"),
    (lambda d: d["category"][0]["legal_basis"][0].update(instrument="nope"),
     "unknown instrument 'nope'"),
    (lambda d: d["category"][0]["legal_basis"][0].update(in_force_from="1.7.2026"),
     "must be a date"),
    (lambda d: d["category"][0]["legal_basis"][0].pop("verify_note"), "verify_note"),
    (lambda d: d["category"][0]["legal_basis"][0].update(in_force_untill=D(2026, 1, 1)),
     "unknown keys"),
    (lambda d: d["category"][0]["legal_basis"][0].update(in_force_until=D(2027, 1, 1)),
     "outside its instrument"),
    (lambda d: d["instrument"]["decree_174_2026"].pop("in_force_from"), "in_force_from"),
    (lambda d: d["category"].pop(), "expected"),
])
def test_malformed_taxonomy_is_refused_with_the_place(edit, message):
    with pytest.raises(TaxonomyError, match=message) as err:
        parse_taxonomy(_broken(edit))
    assert "taxonomy.toml" in str(err.value)


# --- the command line and the batch output ----------------------------------------------------

def test_categories_as_of_either_side_of_1_july_2026(capsys):
    assert main(["categories", "--as-of", "2026-06-30"]) == 0
    before = capsys.readouterr().out
    assert main(["categories", "--as-of", "2026-07-01"]) == 0
    after = capsys.readouterr().out
    assert "30/06/2026" in before and "2026-06-30" in before
    assert "01/07/2026 (as of 2026-07-01)" in after
    for old in ("Luật An ninh mạng số 24/2018/QH14", "Nghị định số 15/2020/NĐ-CP",
                "Điều 16 khoản 5"):
        assert old in before and old not in after
    for new in ("Luật An ninh mạng số 116/2025/QH15", "Nghị định số 174/2026/NĐ-CP",
                "Điều 95 khoản 1 điểm đ", "Điều 7 khoản 1 điểm d"):
        assert new in after and new not in before


def test_categories_json_as_of(capsys):
    assert main(["categories", "--json", "--as-of", "2025-12-15"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2025-12-15"
    insult = data["categories"]["insult"]["legal_basis"]
    assert "282/2025/NĐ-CP" in {r["number"] for r in insult}
    assert all(r["in_force_from"] <= "2025-12-15" for r in insult)


def test_categories_bad_date_exits_2_with_the_reason(capsys):
    assert main(["categories", "--as-of", "30/06/2026"]) == 2
    err = capsys.readouterr().err
    assert "vnmod categories: error: not a valid date: '30/06/2026'" in err


def test_batch_legal_basis_by_date_and_today_by_default():
    before = legal_basis_text(["fake_news"], D(2026, 6, 30))
    after = legal_basis_text(["fake_news"], D(2026, 7, 1))
    assert before.startswith("fake_news: ") and "24/2018/QH14" in before
    assert "116/2025/QH15" in after and "24/2018/QH14" not in after
    assert legal_basis_text(["fake_news"]) == legal_basis_text(["fake_news"], dt.date.today())
    recs = legal_basis_records(["insult", "illegal_ads"], D(2025, 12, 14))
    assert recs and {r["category"] for r in recs} == {"insult", "illegal_ads"}
    assert "144/2021/NĐ-CP" in {r["number"] for r in recs}
    assert all(r["in_force_from"] <= "2025-12-14" for r in recs)
    assert legal_basis_records([], D(2026, 7, 1)) is None
