"""Prices as written are read back in đồng, for rules that compare against a price."""

import pytest

from vnmod.text.money import money_units, money_value
from vnmod.text.normalize import normalise


@pytest.mark.parametrize(("written", "value"), [
    ("185k", 185_000), ("185K", 185_000), ("1tr2", 1_200_000), ("2tr5", 2_500_000),
    ("1.400.000đ", 1_400_000), ("10.000 vnđ", 10_000), ("2 triệu", 2_000_000),
    ("1,5tr", 1_500_000), ("1.5 triệu", 1_500_000), ("2k5", 2_500), ("1 củ", 1_000_000),
    ("350", 350), ("$30", 750_000), ("30$", 750_000), ("5 usd", 125_000),
    ("2 tỷ", 2_000_000_000),
])
def test_written_prices_are_read_in_dong(written, value):
    assert money_value(written) == pytest.approx(value)


@pytest.mark.parametrize("written", ["abc", "", "k", "5 quả", "2trx"])
def test_what_is_not_a_price_reads_as_none(written):
    assert money_value(written) is None


def test_every_masked_price_can_be_read_back():
    doc = normalise("Váy Gucci #185K, túi 1tr2, ví 1.400.000đ, giày $30, kính 2 triệu")
    assert doc.text.count("<money>") == 5
    values = []
    start = 0
    while (i := doc.text.find("<money>", start)) >= 0:
        a, b = doc.to_original(i, i + len("<money>"))
        values.append(money_value(doc.original[a:b]))
        start = i + 1
    assert values == [185_000, 1_200_000, 1_400_000, 750_000, 2_000_000]


def test_units_are_the_ones_the_normaliser_masks():
    units = money_units()
    assert list(units) == sorted(units, key=len, reverse=True)  # 'triệu' before 'tr'
    assert units["k"] == 1_000 and units["triệu"] == 1_000_000


@pytest.mark.parametrize(("written", "value"), [
    ("7xx", 700_000), ("1xx", 100_000), ("1xxx", 1_000_000), ("1xxk", 100_000),
])
def test_hidden_digits_read_as_the_least_price(written, value):
    assert money_value(written) == pytest.approx(value)


@pytest.mark.parametrize("text", ["giá 7xx ship toàn quốc", "túi 1xx bé thôi", "từ 1xxx"])
def test_hidden_digit_prices_are_masked_as_money(text):
    assert "<money>" in normalise(text).text


@pytest.mark.parametrize(("written", "value"), [
    ("💰500", 500_000), ("💰 350", 350_000), ("💵 1.200.000", 1_200_000), ("💲45000", 45_000),
])
def test_a_number_after_a_price_sign_reads_as_thousands_below_ten_thousand(written, value):
    assert money_value(written) == pytest.approx(value)


@pytest.mark.parametrize(("text", "masked"), [
    ("Túi cói đi biển 💰500 ship toàn quốc", "túi cói đi biển <money> ship toàn quốc"),
    ("Giá 💰1.200.000 đ", "giá 💰<money>"),          # a unit: the price alone
    ("Váy 💰300 đi chơi", "váy <money> đi chơi"),   # 'đi' is a word, not the unit 'đ'
])
def test_a_number_after_a_price_sign_is_masked_as_money(text, masked):
    assert normalise(text).text == masked

