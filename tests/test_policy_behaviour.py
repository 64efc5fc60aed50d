"""The shipped model follows ANNOTATION.md on the posts issue #8 reported wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples" / "posts.csv"

PROFANE = [
    "Hôm nay trời đẹp vãi lồn",
    "Trang Lê cười vl =))",
    "Tuấn Nguyễn đi ăn lẩu ko, ngon vl",
]
LEGAL_SALES = [
    "Shop bán áo thun cotton 120k, ship toàn quốc, gọi 0905123456",
    "Quán chè nhà mình mở cửa tới 10h tối nha, ai cần ship ib nè",
]
#: ANNOTATION.md: injections and fillers offered by shops or spas without a clinic licence.
INJECTION_OFFERS = [
    "Nhận tiêm filler môi tại nhà giá rẻ",  # issue #8: 0.05 then
    "nhan tiem filler moi tai nha gia re",
]
INJECTION_NEWS = [
    "Bệnh viện Da liễu cảnh báo: tiêm filler tại spa gây biến chứng, mù mắt",
    "Công an bắt quả tang một phụ nữ nhận tiêm filler tại nhà không phép",
    "Sau khi tiêm filler môi xong thì về nhà chườm đá nhé",
]
INJECTION_QUESTIONS = [  # a buyer asking: no offer (was 0.79 with the rule alone)
    "Có ai biết chỗ nào nhận tiêm filler tại nhà uy tín không ạ?",
    "Cho em hỏi ở đâu nhận tiêm botox tại nhà an toàn vậy ạ?",
]
# A seller's question hook followed by the offer itself and a contact.
INJECTION_HOOK = ("Có ai biết chỗ nào nhận tiêm filler tại nhà giá rẻ không? Bên em nhận tiêm "
                  "filler môi tại nhà, inbox 0905123456")
# Weight loss by the box (ANNOTATION.md: weight loss in days): the rule's floor keeps them
# flagged where the learned views see an ordinary sales post (0.09 without it).
WEIGHT_LOSS_CLAIMS = [
    "Trà thảo mộc giảm cân nhà em, 1 hộp giảm 4 kg, 2 hộp giảm 7 kg, ib em đặt hàng nhé",
    "Sp chất lượng khách quay lại mua là bt. 1 hộp giảm 4 kg. 2 hộp giảm 7 kg. Lấy thêm 1 hộp "
    "nữa 👌 https://bit.ly/abc",
]
RUMOURS = [
    "Khẩn cấp! Ngày mai cắt điện toàn quốc 3 ngày, chia sẻ ngay",
    "Cảnh báo: vắc xin gây vô sinh... lan truyền ngay",
]


@pytest.mark.parametrize("text", PROFANE)
def test_profanity_is_offensive_whatever_a_corpus_called_clean(clf, text):
    pred = clf.predict(text)
    assert "offensive" in pred.labels
    assert pred.scores["offensive"] >= 0.6
    assert any(e.category == "offensive" and e.source == "rules" for e in pred.evidence)


def test_full_word_profanity_scores_above_its_abbreviation(clf):
    full = clf.predict("Hôm nay trời đẹp vãi lồn").scores["offensive"]
    short = clf.predict("Hôm nay trời đẹp vl").scores["offensive"]
    assert full >= 0.9 > short >= 0.6


def test_a_counter_rule_still_lifts_the_profanity_floor():
    from vnmod.backends.rules import RulesBackend
    from vnmod.text.normalize import normalise

    off = 1  # CATEGORIES.index("offensive")
    _, _, bounds = RulesBackend().analyse([normalise(t) for t in (
        "Mai thi vl rồi mà chưa học chữ nào",  # 'vl' = vật lý: the counter-rule hits
        "Mai đi chơi vl",
        "đẹp vãi lồn",
    )])
    assert bounds[:, off, 0].tolist() == [0.0, 0.6, 0.9]


#: đéo clipped (đ, đ', éo) or typed without its marks, đếch, and the minced đù (ANNOTATION.md:
#: profanity whole, abbreviated or disguised; đếch used as a curse): each floors offensive.
CLIPPED_PROFANITY = {
    "tôi đ' hiểu nổi cái lịch học này": 0.6,
    "làm kiểu đ nào mà xe hỏng hoài": 0.6,
    "sao anh deo biết gì hết vậy": 0.6,
    "bài hát cái deo gì mà dài thế": 0.6,
    "tao đếch cần mấy lời khuyên đó": 0.6,
    "á đù, trận này căng thật": 0.6,
    "mai tao éo đi học đâu": 0.6,
    "phim gì mà chán vờ lờ": 0.6,
    "đờ mờ, lại mất điện rồi": 0.6,
    "mịa nó, lại hỏng xe": 0.6,
    "tớ đ bao g nói thế": 0.6,
    "Dell bt nói gì luôn": 0.6,
    "méo có ai thèm xem": 0.6,
    "xạo lz vừa thôi": 0.6,
    "làm đếu gì có ai xem": 0.6,
    "truyện dài quá del đọc nổi": 0.6,
    "bộ phim này hay vđ": 0.6,
    "xem xong sợ vãi đái": 0.6,
    "mé, lại trễ xe buýt rồi": 0.6,
    "douma, thua nữa rồi": 0.6,
    "trận này thua cmnl": 0.6,
    "lo lz gì, kệ nó": 0.6,
    "không hiểu clg đang xảy ra": 0.6,
    "đệt, lại mất mạng rồi": 0.6,
    "nói chuyện xạo lone thế": 0.6,
    "phim này chán vlol": 0.6,
    "theo dõi concac gì cả": 0.6,
    "bạn đang nói cái l*n gì vậy": 0.6,
    "Đ*t con mẹ, lại thua": 0.6,
}
#: The same letters read otherwise: money, an initial, đừng (don't), đeo (to wear), đù đờ,
#: giả vờ lờ đi (to pretend not to notice), dệt typed without marks (to weave).
LOOKALIKES = [
    "giá 50 đ một cái",
    "ông Nguyễn Văn Đ. có mặt lúc 8 giờ",
    "đ nói nữa, đ sợ gì hết",
    "chị deo có đẹp không em",
    "cái deo được không shop",
    "dạo này nó đù đờ quá",
    "hoàn cảnh éo le quá",
    "cô ấy uốn éo theo điệu nhạc",
    "nó giả vờ lờ đi như không biết",
    "hộp bị méo có đổi được không shop",
    "laptop Dell có bảo hành không",
    "haha lolzzz",
    "ad del bài này đi",
    "vé máy bay chặng VĐ-TPHCM giá rẻ",
    "vđ là mình chưa nhận được hàng",
    "bạn ấy cố gắng mạnh mé lên nhé",
    "nhà ở mé sông phía bên kia",
    "cong ty det may xuat khau tuyen cong nhan",
]


def test_clipped_and_minced_profanity_floors_offensive_and_lookalikes_do_not():
    from vnmod.backends.rules import RulesBackend
    from vnmod.text.normalize import normalise

    off = 1  # CATEGORIES.index("offensive")
    texts = [*CLIPPED_PROFANITY, *LOOKALIKES]
    _, _, bounds = RulesBackend().analyse([normalise(t) for t in texts])
    floors = dict(zip(texts, bounds[:, off, 0].tolist(), strict=True))
    assert {t: floors[t] for t in CLIPPED_PROFANITY} == CLIPPED_PROFANITY
    assert {t: floors[t] for t in LOOKALIKES} == dict.fromkeys(LOOKALIKES, 0.0)


@pytest.mark.parametrize("text", [*CLIPPED_PROFANITY, "Đ biết mai có thi không nữa"])
def test_clipped_profanity_is_flagged_with_its_span_as_evidence(clf, text):
    pred = clf.predict(text)
    assert "offensive" in pred.labels
    spans = [e.text for e in pred.evidence if e.category == "offensive" and e.source == "rules"]
    assert spans and all(s in text for s in spans)


@pytest.mark.parametrize("text", LEGAL_SALES)
def test_ordinary_sales_posts_are_not_illegal_ads(clf, text):
    assert "illegal_ads" not in clf.predict(text).labels


def _ad_and_rule(clf, text: str, rule: str) -> tuple[bool, bool]:
    """Whether ``text`` is flagged illegal_ads, and whether ``rule`` is among its evidence."""
    pred = clf.predict(text)
    return "illegal_ads" in pred.labels, any(e.rule == rule for e in pred.evidence)


@pytest.mark.parametrize("text", INJECTION_OFFERS)
def test_cosmetic_injections_offered_at_home_are_illegal_ads(clf, text):
    assert _ad_and_rule(clf, text, "illegal_ads.beauty.injections_outside_clinic") == (True, True)


@pytest.mark.parametrize("text", INJECTION_NEWS)
def test_warnings_news_and_aftercare_about_injections_are_not_ads(clf, text):
    assert "illegal_ads" not in clf.predict(text).labels


@pytest.mark.parametrize("text", INJECTION_QUESTIONS)
def test_a_buyer_asking_where_to_get_an_injection_is_not_an_ad(clf, text):
    assert _ad_and_rule(clf, text, "illegal_ads.counter.buyer_question") == (False, True)


def test_a_sellers_question_hook_with_the_offer_after_it_stays_an_ad(clf):
    assert "illegal_ads" in clf.predict(INJECTION_HOOK).labels


@pytest.mark.parametrize("text", WEIGHT_LOSS_CLAIMS)
def test_weight_loss_by_the_box_is_an_illegal_ad(clf, text):
    assert _ad_and_rule(clf, text, "illegal_ads.beauty.weight_amount") == (True, True)


@pytest.mark.parametrize("text", [
    "Bác sĩ khuyên: không có sản phẩm nào giúp giảm 4 kg sau 1 tuần, đừng tin quảng cáo",
    "Không có loại thuốc nào chữa khỏi tiểu đường, đừng tin lời quảng cáo",
])
def test_advice_that_denies_a_miracle_claim_is_not_an_ad(clf, text):
    assert _ad_and_rule(clf, text, "illegal_ads.counter.claim_denied") == (False, True)


def test_a_sellers_comparison_is_no_denial(clf):
    text = "Không có sản phẩm nào giúp giảm cân nhanh như trà X, 1 hộp giảm 5 kg, ib em nhé"
    assert _ad_and_rule(clf, text, "illegal_ads.counter.claim_denied") == (True, False)


def test_a_dieter_complaining_is_not_an_ad(clf):
    text = "Mình uống trà giảm cân 2 tháng mà chẳng giảm được cân nào, các bạn đừng mua nhé"
    assert "illegal_ads" not in clf.predict(text).labels


@pytest.mark.parametrize("text", RUMOURS)
def test_rumours_with_a_hoax_claim_and_alarm_cues_are_fake_news(clf, text):
    assert "fake_news" in clf.predict(text).labels


def test_a_question_about_a_rumour_is_not_fake_news(clf):
    assert "fake_news" not in clf.predict("Có thật là mai cắt điện toàn quốc không?").labels


@pytest.mark.parametrize("text", [".", "???", "!!!", "😂😂", "ok"])
def test_punctuation_and_near_empty_posts_are_never_news(clf, text):
    pred = clf.predict(text)
    assert pred.scores["fake_news"] == 0.0
    assert "fake_news" not in pred.labels


def test_demo_clean_sales_posts_stay_clean(clf):
    with EXAMPLES.open(encoding="utf-8", newline="") as fh:
        posts = {r["id"]: r for r in csv.DictReader(fh)}
    for pid in ("p058", "p060"):
        assert posts[pid]["expected"] == ""
        assert clf.predict(posts[pid]["text"]).labels == [], pid


def test_every_flag_carries_evidence(clf):
    with EXAMPLES.open(encoding="utf-8", newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)]
    for pred in clf.predict(texts + PROFANE + LEGAL_SALES + RUMOURS):
        for cat in pred.labels:
            assert any(e.category == cat and e.weight > 0 for e in pred.evidence), (pred.text, cat)


#: 'cl' is cái lồn in comments, chất lượng in reviews and cường lực (screen glass) in phone sales.
CL_PROFANE = ["yêu yêu cl, lo mà học đi", "biện minh cl", "liên quan cl gì đến mày", "như cl luôn"]
CL_INNOCENT = ["Cl 9k, ốp 19k, cáp sạc 29k", "tặng kèm ốp cl.", "sp cl tốt lắm shop",
               "Có cl nhé.", "máy đẹp, kèm dán cl"]


def _hit_by(rule_ids: set[str], texts: list[str]) -> list[bool]:
    """For each text, whether one of ``rule_ids`` hit it (the rules alone)."""
    from vnmod.backends.rules import RulesBackend
    from vnmod.text.normalize import normalise

    _, evidence, _ = RulesBackend().analyse([normalise(t) for t in texts])
    return [any(e.rule in rule_ids for e in ev) for ev in evidence]


def test_cl_counts_as_profanity_only_where_it_reads_so():
    hit = _hit_by({"offensive.abbrev.cl", "offensive.abbrev.cl_clause_end"},
                  [*CL_PROFANE, *CL_INNOCENT])
    assert hit == [True] * len(CL_PROFANE) + [False] * len(CL_INNOCENT)


def test_the_three_strokes_slur_is_an_insult_and_dates_are_not(clf):
    slur = clf.predict("Bọn 3/// chạy hết sang Mỹ rồi")
    assert "insult" in slur.labels
    assert any(e.rule == "insult.politics.ba_que_slashes" and e.text == "3///"
               for e in slur.evidence)
    for text in ("Họp phụ huynh ngày 3/4 lúc 8 giờ", "tỉ lệ pha 1/3/2 nhé"):
        assert not any(e.rule == "insult.politics.ba_que_slashes"
                       for e in clf.predict(text).evidence)


#: 'l' and 'lol' are lồn after the words that take it ('cái l', 'xạo lol'), a size, a litre or
#: laughter elsewhere.
L_PROFANE = ["xạo l vừa thôi", "mạng như l", "nói cái l gì vậy", "thằng lol ad ngu", "xạo lol quá",
             "tuổi lol mà so"]
L_INNOCENT = ["áo size l giá 150k", "lấy 2 cái L, 1 cái M", "chai 1 l nước", "haha lol",
              "lol vui quá", "chơi lol với bạn"]


def test_l_and_lol_count_as_profanity_only_after_a_word_that_takes_them():
    hit = _hit_by({"offensive.abbrev.l_pieces", "offensive.profanity.lol_slang"},
                  [*L_PROFANE, *L_INNOCENT])
    assert hit == [True] * len(L_PROFANE) + [False] * len(L_INNOCENT)


def test_l_and_lol_after_a_word_that_takes_them_are_flagged_whatever_the_learned_views_say(clf):
    for pred in clf.predict([*L_PROFANE, "học lòi l"]):
        assert "offensive" in pred.labels, pred.text
        assert pred.scores["offensive"] >= 0.6, pred.text  # the abbreviated floor


#: A buyer's 'cái L' is a clothing size; 'còn cái l gì' is still the curse.
SIZE_L = ["Shop ơi em lấy cái L màu đen nhé", "áo này còn cái L không shop", "cho mình 2 cái L",
          "lấy 1 cái XL"]


def test_a_buyers_cai_l_is_a_size_and_not_profanity(clf):
    for pred in clf.predict(SIZE_L):
        assert "offensive" not in pred.labels, pred.text
    assert "offensive" in clf.predict("còn cái l gì nữa đâu").labels


#: 'đ', 'méo', 'đél' for đéo, minced spellings of the mẹ curse, 'sml' and 'vđ' (vãi đái) are
#: profanity; 'đ' for đồng after a price, an initial, 'vđ' for vấn đề, a dented box, a cat's
#: mew, the sizes S M L and 'mé' for an edge are not.
CLIPPED_PROFANE = ["nó đ dám nói đâu", "học cả đêm vẫn đ kịp", "vay xong đ trả", "móa, mệt thật",
                   "moá ơi nóng quá", "mịe nó chứ", "chetme nó đi", "cười banh l luôn", "sợ vđ",
                   "cái méo gì cũng hết", "đél ai thèm", "cày sml luôn"]
CLIPPED_INNOCENT = ["giá 50000 đ trả góp được", "tổng 1.200.000 đ trả trước 30%",
                    "Nguyễn Văn Đ. trả lời", "máy có vđ gì không shop", "cái này là vđ lớn",
                    "hộp không bị móp méo gì", "mèo kêu méo méo j đó", "áo size sml đủ màu",
                    "giao lâu nhưng cũng không vđ gì", "phần mé kệ bị móp"]


def test_clipped_and_minced_curses_count_and_their_lookalikes_do_not():
    hit = _hit_by({"offensive.abbrev.d_negation", "offensive.curse.minced_me",
                   "offensive.abbrev.l_pieces", "offensive.vai.vd",
                   "offensive.profanity.meo_negation", "offensive.profanity.dell_negation",
                   "offensive.abbrev.sml"},
                  [*CLIPPED_PROFANE, *CLIPPED_INNOCENT])
    assert hit == [True] * len(CLIPPED_PROFANE) + [False] * len(CLIPPED_INNOCENT)


#: Comment-like personal stories whose learned fake_news score passes the threshold: a flag
#: that no rule backs needs the post to read like news (the gate's learned_only_logit).
PERSONAL_STORY = "Sau khi gặp tôi lâu rồi thì mọi người mới biết tôi là người hiền và ít nói =)))"


def test_a_learned_fake_news_score_on_a_comment_that_reads_unlike_news_flags_nothing(clf):
    import copy

    gate = clf._stack["gates"]["fake_news"]
    assert gate["learned_only_logit"] == -0.5
    story = clf.predict(PERSONAL_STORY)
    assert story.scores["fake_news"] >= clf.thresholds["fake_news"]  # the score is kept
    assert "fake_news" not in story.labels
    ungated = copy.copy(clf)
    ungated._stack = {**clf._stack, "gates": {"fake_news": {
        k: v for k, v in gate.items() if k != "learned_only_logit"}}}
    assert "fake_news" in ungated.predict(PERSONAL_STORY).labels
    # a hoax with its cues is rule-backed: it stays flagged
    assert "fake_news" in clf.predict(RUMOURS[0]).labels


#: A product review's 'CC cream' and mistyped 'mặc đù' (mặc dù) are no profanity; the curse
#: 'cc' and 'đù' elsewhere still are (a 'thoi cc' typed without diacritics gets 'thỏi' back).
REVIEW_LOOKALIKES = ["Mình hay dùng kem CC của hãng này, CC cream che khuyết điểm tốt",
                     "dùng CC cushion rất ok", "phấn CC mịn lắm",
                     "Mặc đù túi có 1 vết lõm nhưng mình thấy không sao"]
REVIEW_CURSES = ["kem cc gì mà đắt thế", "đù má giao chậm quá", "á đù đẹp thế", "Cham thoi cc 😆"]


def test_cosmetic_cc_and_a_mistyped_mac_du_are_not_profanity(clf):
    for pred in clf.predict(REVIEW_LOOKALIKES):
        assert "offensive" not in pred.labels, pred.text
    for pred in clf.predict(REVIEW_CURSES):
        assert "offensive" in pred.labels, pred.text


#: Spellings of moral insults and name-calling the rules read since the seventeenth session
#: (from posts labelled insult that no rule found: policy training posts, and 'mgu' from a
#: held-out ViLexNorm comment).
SPELLED_INSULTS = ["b quá ác độc và zô liêm sị", "như này matday cứ tưởng hay",
                   "bạn không có vô duyên mà là zô záo zục", "loại óc ứt",
                   "trông con mgu còn kêu",
                   "người k ra người, ngợm không ra ngợm", "thằng đàn bà, kiện nó đi"]


def test_spelled_moral_insults_are_read_by_the_rules():
    rules = {"insult.word.moral_strong", "insult.word.moral_strong_accented",
             "insult.word.oc_cho_accented", "insult.word.ngu", "insult.gender"}
    assert _hit_by(rules, SPELLED_INSULTS) == [True] * len(SPELLED_INSULTS)
    assert _hit_by(rules, ["anh ấy là võ sĩ", "ông ngoại nghỉ ngơi", "chúc cả nhà ngủ ngon"]) \
        == [False] * 3


#: Name-calling the rules read since the eighteenth session, from policy training posts
#: labelled insult that no rule found; the clipped 'thằg' is read as 'thằng' first.
NAME_CALLING = ["những đứa hãm cành cạch luôn", "1 đám đầu tôm nhiệt tình lao vào",
                "mấy thằg não cứt", "mày đéo bình thường câm mẹ đi",
                "bạn ko có một chút văn hoá nào", "độc ác và vô lim xỉ", "bọn óc vật",
                "óc xi măng thôi", "cái bọn cướp ngày", "lũ tham nhũng"]
NOT_NAME_CALLING = ["bóc đầu tôm chiên giòn", "hành động thiếu giáo dục", "đừng hãm hại ai",
                    "trà hãm kỹ mới ngon", "quyết tâm chống tham nhũng"]


def test_name_calling_without_a_swear_word_is_read_by_the_rules():
    rules = {"insult.target.adjective_mild", "insult.word.oc_cho_accented",
             "insult.command.shut_up", "insult.word.moral_mild",
             "insult.word.moral_strong_accented"}
    assert _hit_by(rules, NAME_CALLING) == [True] * len(NAME_CALLING)
    assert _hit_by(rules, NOT_NAME_CALLING) == [False] * len(NOT_NAME_CALLING)


def test_barking_said_of_a_person_is_an_insult_but_not_of_a_dog_or_a_repair():
    rules = {"insult.command.bark_bare"}
    barks = ["dư luận viên vào sủa đi nào", "thằng ad lại sủa", "vào đây sủa làm gì"]
    not_barks = ["con chó nhà mình sủa suốt đêm", "nhìn mặt sáng sủa ghê", "phim sến sủa quá",
                 "bán xe để sủa lại mái nhà", "mua sủa tươi cho bé"]
    assert _hit_by(rules, barks) == [True] * len(barks)
    assert _hit_by(rules, not_barks) == [False] * len(not_barks)


def test_replica_grades_and_not_from_the_brand_are_counterfeit_cues():
    rules = {"illegal_ads.counterfeit.luxury_grade", "illegal_ads.counterfeit.fake"}
    cues = ["Clutch Dior 3D Spsl sz 23, full box", "dép crocs không phải hàng hãng nhưng đẹp",
            "3: dập mã đầy đủ, kèm ví nhỏ"]
    assert _hit_by(rules, cues) == [True] * 3
    assert _hit_by(rules, ["túi Dior chính hãng, bill Pháp", "sỉ lẻ dép crocs giá tốt"]) \
        == [False] * 2
