"""The shipped lexicons on the traps the issue names: obfuscations found, hard negatives not."""

import pytest

from vnmod.rules import RuleEngine, load_lexicon
from vnmod.text.normalize import normalise


@pytest.mark.parametrize(("text", "category"), [
    ("Địt mẹ mày", "offensive"),                         # plain
    ("đ.m thằng này", "offensive"),                      # separators
    ("d i t me may", "offensive"),                       # spaced letters, no diacritics
    ("v-c-l luôn", "offensive"),                         # separators + teencode
    ("cái l0n gì vậy", "offensive"),                     # leetspeak
    ("đ1t mẹ", "offensive"),                             # leetspeak
    ("ĐỊTTTT MẸ", "offensive"),                          # repeats, upper case
    ("may la thang oc cho", "insult"),                   # no diacritics
    ("thằng óc chóooo", "insult"),                       # repeats
    ("nhan lam bang dai hoc gia, lh 09xx.xxx.xxx", "illegal_ads"),  # no diacritics
    ("n.h.à c.á.i uy tín, nạp 100k tặng 100k", "illegal_ads"),   # separators
    ("bán s.ú.n.g hơi giá rẻ", "illegal_ads"),           # separators
    ("TIN NÓNG: Bộ Y tế xác nhận lá ổi chữa khỏi ung thư, chia sẻ gấp", "fake_news"),
])
def test_obfuscated_forms_are_still_found(rules_clf, text, category):
    p = rules_clf.predict(text)
    assert category in p.labels, (p.scores, [e.rule for e in p.evidence])
    assert any(e.category == category and e.weight > 0 for e in p.evidence)


@pytest.mark.parametrize("text", [
    "Mùa hè này cả nhà mình đi du lịch Đà Lạt",
    "Ngành giáo dục cần đổi mới",
    "Mua thùng 24 lon bia về nhậu",
    "con chó nhà mình bị ốm mấy hôm nay",
    "di du lich Da Lat vui qua",                         # 'du' without diacritics
    "mua 2 lon bia va 1 lon nuoc ngot",                  # 'lon' without diacritics
    "Câu được con cá độ dài 80cm",
    "Công an triệt phá đường dây cá độ bóng đá, bắt giữ 12 đối tượng",
    "Cảnh giác: vay app chỉ cần cccd là bẫy, đừng ai vay nhé",
    "Nhà mình bán rau sạch, giao trong ngày, liên hệ 0903 123 456",
    "Vietlott tối nay jackpot 50 tỷ, mua vé ở đại lý xổ số kiến thiết",
    "Hôm nay mình ngu thật, quên chìa khóa trong xe",
    "Các bạn học sinh chăm ngoan",
    "bán buồng chuối và bưởi da xanh",
    "Bị mụn mấy năm nay mà vẫn chưa dứt điểm được, buồn ghê",   # a complaint, not a claim
    "Sao cai mieng no xau du vay",                              # nó xấu dữ vậy
    "Mình đang cần vay tiền mua nhà, ngân hàng nào lãi thấp ạ",  # a borrower asking
    "Tối nay xem netflix phim gì hay",
    "Về bờ an toàn rồi mọi người ơi, biển động quá",
    "Kèo nhậu tối nay ai đi",
    "Hàng sale không giảm giá thêm, mà không giảm giá thì cũng không hoàn tiền nhé",
    "Chồng mình làm việc tại nhà từ tháng 3 vì dịch",
    "Kết quả xsmb hôm nay đây, chúc mọi người may mắn",
    "Cuối tháng chốt sổ, ai còn nợ quỹ lớp thì nộp nhé",
    "Bác sĩ nói thuốc này chỉ hỗ trợ, không chữa dứt điểm được đâu",   # a caution
    "Túi Michael Kors chính hãng giá 4.500.000, có hóa đơn",
])
def test_hard_negatives_are_not_flagged(rules_clf, text):
    p = rules_clf.predict(text)
    assert p.labels == [], (p.scores, [(e.rule, e.text) for e in p.evidence])


@pytest.mark.parametrize("text", [
    "ĐM   thằng l0n này, ib 0776234XXX mua hàng đá",
    "Nhận LÀM BẰNG ĐẠI HỌC giả 100%, Zalo: 09xx.xxx.xxx",
    "Thuý ơi, thằng óc chóooo đó lừa đảo, v-c-l",
    "n.h.à c.á.i\u200b online 🎰 nạp 500k tặng 500k tại nhacai88.vip",
])
def test_every_evidence_span_is_the_original_text(rules_clf, text):
    p = rules_clf.predict(text)
    assert p.evidence
    for e in p.evidence:
        assert text[e.start:e.end] == e.text


def test_contact_details_alone_are_not_an_illegal_ad(rules_clf):
    p = rules_clf.predict("Gọi cho mình số 0912345678 nhé, hoặc zalo cũng được")
    assert "illegal_ads" not in p.labels
    assert not [e for e in p.evidence if e.category == "illegal_ads" and e.weight > 0]


def test_each_rule_counts_once_however_often_it_matches():
    engine = RuleEngine()
    once = engine.score(engine.hits(normalise("đụ má")))[0]
    many = engine.score(engine.hits(normalise("đụ má đụ má đụ má")))[0]
    assert once.tolist() == many.tolist()


def test_evidence_lists_the_first_spans_of_each_rule_but_scores_count_every_hit(rules_clf):
    from vnmod.rules.engine import SPANS_PER_RULE
    text = "đồ ngu, " + "đụ má " * (SPANS_PER_RULE + 50)
    p = rules_clf.predict(text)
    assert "offensive" in p.labels and "insult" in p.labels
    per_rule: dict[str, list[int]] = {}
    for e in p.evidence:
        per_rule.setdefault(e.rule, []).append(e.start)
        assert text[e.start:e.end] == e.text
    assert max(len(v) for v in per_rule.values()) == SPANS_PER_RULE
    assert all(v == sorted(v) and v[0] < 20 for v in per_rule.values())  # from the start
    engine = RuleEngine()
    assert len(engine.hits(normalise(text))) > SPANS_PER_RULE + 50


def test_lexicon_errors_name_the_file_and_rule(tmp_path):
    (tmp_path / "x.toml").write_text('category = "offensive"\n[[rule]]\nid = "a"\n'
                                     'kind = "pattern"\npattern = "("\nweight = 1\n',
                                     encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.toml.*'a' pattern does not compile"):
        load_lexicon(tmp_path)
    (tmp_path / "x.toml").write_text('category = "spam"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="expected one of"):
        load_lexicon(tmp_path)


@pytest.mark.parametrize(("text", "flagged"), [
    ("Túi Chanel da bò giá chỉ #290k, ship toàn quốc", True),      # a tenth of the price
    ("Set bộ gucci #310k, body chanel #270k", True),
    ("Đầm mã GC thêu logo giá #185K", True),                      # shorthand
    ("Pass lại túi Chanel chính hãng 45 triệu, full box bill", False),  # a real price
    ("Túi Chanel đẹp quá, ai biết mua ở đâu không", False),       # no price at all
])
def test_a_luxury_brand_counts_only_at_a_fraction_of_its_price(rules_clf, text, flagged):
    p = rules_clf.predict(text)
    priced = [e for e in p.evidence if e.rule == "illegal_ads.counterfeit.luxury_priced"]
    assert bool(priced) == flagged, (p.scores, [e.rule for e in p.evidence])
    if flagged:  # the brand and the price are both shown
        assert {e.text.lower() for e in priced} & {"chanel", "gucci", "gc"}
        assert any(any(ch.isdigit() for ch in e.text) for e in priced)
        assert "illegal_ads" in p.labels


@pytest.mark.parametrize(("option", "message"), [
    ('max_price = "cheap"', r"'a'.*max_price = 'cheap'"),      # a positive amount in đồng
    ('cancels = ["b"]', r"'a' cancels 'b', which is not another rule of category"),
    ('cancels = ["a"]', r"'a' cancels 'a'"),
])
def test_rule_option_errors_name_the_rule(tmp_path, option, message):
    (tmp_path / "x.toml").write_text('category = "illegal_ads"\n[[rule]]\nid = "a"\n'
                                     'kind = "term"\nterms = ["gucci"]\nweight = 1\n'
                                     f'{option}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_lexicon(tmp_path)


@pytest.mark.parametrize(("text", "rule"), [
    ("Cho vay tư nhân, giải ngân trong ngày, chỉ cần CMT + hộ khẩu photo", "loan.private"),
    ("Răng trắng như bọc sứ chỉ sau 3 phút, ib em", "beauty.instant_white"),
    ("Kem tan mỡ bôi đâu tan đó, 250k/hộp", "beauty.fat_melting"),
    ("Cao dược liệu đặc trị viêm dạ dày, ngăn chặn tế bào ung thư, 300k",
     "medicine.treats_disease"),
    ("Giày hàng chuẩn F1 giá 345k", "counterfeit.like_authentic"),
    ("Shop nick game giá rẻ, nick vip 50k", "accounts.nick_sale"),
    ("Da mụn là cần trị liền, trị ngay và dứt điểm, ai bị mụn ib em", "beauty.definitive_result"),
    ("XÓA HẾT>90% SẸO CHỈ SAU 2 TUẦN, 100k/tuýp", "beauty.definitive_result"),
    ("Ai cần vay tiền thì alo mình, 1tr ngày 5k", "loan.offer_contact"),
    ("Hỗ trợ vay 5tr đến 30tr, nợ xấu cũng giải ngân", "loan.offer_contact"),
    ("Sẵn sàng bán netflix cho ai cần, 65k 1 tháng", "accounts.subscription_page_sale"),
    ("Ai bị đa nang buồng trứng, tắc vòi trứng ib em tư vấn", "medicine.sufferers_called"),
    ("Nhận chữa kinh nguyệt không đều, đau bụng kinh", "medicine.treats_disease"),
    ("Anh em nào đam mê kèo banh thì theo kèo anh Tuấn", "gambling.tipster"),
    ("Túi Prada nữ bản super víp, full box", "counterfeit.grade_words"),
    ("Ví Chanel fullbox cao cấp, có sẵn size", "counterfeit.luxury_grade"),
    ("Đầm LV hàng qccc tag mác đầy đủ", "counterfeit.luxury_grade"),
    ("Váy LV chấm bi 💰450 ship cod", "counterfeit.luxury_priced"),
    ("Nhận tiêm truyền trắng tại nhà cho chị em", "beauty.injections"),
    ("Viên uống thảo mộc cam kết giảm từ 4-6kg, không ăn kiêng", "beauty.weight_amount"),
    ("Trùm phụ khoa đây, chị em nào cần ib", "medicine.claim"),
    # read off the training ads the rules missed (seventh session of 2026-12-05)
    ("Nhận chữa ✅viêm ngứa ✅khí hư, chị em ib em", "medicine.treats_disease"),
    ("Dung dịch: ✅Dứt điểm huyết trắng ✅Ngăn ngừa viêm nhiễm", "medicine.treats_disease"),
    ("Sữa tắm thiên nhiên bật tone ngay lần đầu, 150k", "beauty.instant_white"),
    ("Kem body trắng nhanh 5-7 ngày, ship toàn quốc", "beauty.instant_white"),
    ("Chỉ dùng 10 ngày đã giảm 3-5kg, 350k/hộp", "beauty.weight_amount"),
    ("Em đã giảm từ 80 về 65cm trong vòng 2 tháng, ib em chỉ cho", "beauty.weight_amount"),
    ("Cam kết sau 2 liệu trình mà không giảm em hoàn 200% tiền", "beauty.weight_amount"),
    ("Việc nhẹ tại nhà, thu nhập 300-500/ngày, ib mình", "jobs.income"),
    ("Tuyển CTV làm việc tại nhà, không cần kinh nghiệm", "jobs.easy_money"),
    ("Nhận mở facebook bị khóa, lấy lại pass bị hack, zalo 0912345678", "hacking.accounts"),
    ("Đăng bài lúc 18h khi xsmb đang quay, ai muốn theo thì nhắn tin", "gambling.lottery_group"),
    ("Vào nhóm để được đưa vào bờ, 18h chốt số", "gambling.lottery_group"),
    ("Chuyên sỉ lẻ túi, phụ kiện siêu cấp", "counterfeit.grade_words"),
    ("Túi Michael Kors mới về 350k", "counterfeit.luxury_priced"),
])
def test_real_sellers_phrasings_are_found(rules_clf, text, rule):
    p = rules_clf.predict(text)
    assert f"illegal_ads.{rule}" in {e.rule for e in p.evidence}, [e.rule for e in p.evidence]


def test_a_licensed_finance_company_counts_against_a_loan_offer():
    engine = RuleEngine()
    private = engine.score(engine.hits(normalise(
        "Vay tiền nhanh chỉ cần CMT + cà vẹt xe máy hoặc hóa đơn điện")))[0]
    licensed = engine.score(engine.hits(normalise(
        "Vay qua ứng dụng của FE Credit, chỉ cần CMT + cà vẹt xe máy hoặc hóa đơn điện")))[0]
    k = 3  # illegal_ads
    assert licensed[k] < private[k]
    assert licensed[k] < 0.5


AGENT = ("Vay qua app của {lender}. Chỉ cần CMT + cà vẹt xe máy hoặc hóa đơn điện. Không "
         "thẩm định, giải ngân trong ngày, ai cần liên hệ em, hotline 0912345678")


def test_a_named_licensed_lender_cancels_the_loan_offer_rules():
    """ANNOTATION.md: pawn-free loans are illegal ads only where no licensed lender is named;
    the loan-offer rules are switched off (not outweighed) where one is, shark words are not."""
    engine = RuleEngine()
    k = 3  # illegal_ads

    def rules_score(text):
        scores, counted = engine.score(engine.hits(normalise(text)))
        return scores[k], {h.rule.id for h in counted}

    unnamed, unnamed_rules = rules_score(AGENT.format(lender="bên em"))
    named, named_rules = rules_score(AGENT.format(lender="FE Credit"))
    assert unnamed > 0.9 and {"illegal_ads.loan.private",
                              "illegal_ads.loan.fast_payout"} <= unnamed_rules
    assert named < 0.1
    assert not {r for r in named_rules if r.startswith("illegal_ads.loan.")}
    shark, shark_rules = rules_score("Cho vay nóng, bốc họ, JACCS cũng không bằng, lh 0912345678")
    assert shark > 0.5 and "illegal_ads.loan.shark" in shark_rules


def test_terms_allowed_without_diacritics_match_words_as_typed():
    """Diacritics put back on an unaccented post can be wrong ('ban' -> 'bạn'); a term allowed
    without diacritics still matches the words as they were typed."""
    engine = RuleEngine()
    doc = normalise("ban stk dep + full thong tin chu tk, 1tr8/bo")
    assert doc.unaccented and "bán số tài khoản" not in doc.text
    ids = {h.rule.id for h in engine.hits(doc)}
    assert "illegal_ads.accounts.bank_identity" in ids
    # ...while a term kept to its accented form does not ('tien gia cong' = tiền gia công).
    plain = normalise("tien gia cong bao nhieu vay")
    assert plain.unaccented
    assert "illegal_ads.counterfeit.accented_words" not in {h.rule.id for h in engine.hits(plain)}


def test_a_priced_brand_cites_the_cheap_price_nearest_it():
    engine = RuleEngine()
    text = "Túi gucci hàng thật 25 triệu. Ví chanel 150k, kính dior 90k"
    doc = normalise(text)
    hits = [h for h in engine.hits(doc) if h.rule.id == "illegal_ads.counterfeit.luxury_priced"]
    cited = {doc.original[slice(*doc.to_original(h.start, h.end))] for h in hits}
    assert {"gucci", "chanel", "dior", "150k", "90k"} <= cited
    assert "25 triệu" not in cited  # over the cap: never the evidence


@pytest.mark.parametrize(("text", "rule"), [
    # Scam SMS phrasings (written after vi_smishing's training split), with and without
    # diacritics.
    ("Thông báo: bảo mật tài khoản của quý khách đã hết hạn, vui lòng đăng nhập "
     "www.nganhang-xacthuc.top để nâng cấp ngay hôm nay", "phishing.link_to_secure"),
    ("Phi dich vu 990.000d se bi tru hom nay, neu ban khong dang ky vui long bam vao "
     "https://huy-dichvu.vip de huy", "phishing.link_to_secure"),
    ("Tài khoản của bạn sẽ bị tạm ngưng từ 0h ngày mai nếu chưa cập nhật",
     "phishing.account_locked"),
    ("Ban vua kich hoat dich vu tai chinh toan cau, phi 1.500.000d/thang", "phishing.lures"),
    ("Thông báo: xe của ông/bà có biên lai chưa nộp phạt, gọi ngay 0912000111 để xử lý",
     "phishing.state_benefit_or_fine"),
    ("Ho tro that nghiep cua ban da san sang, nhan truoc 17h, qua han se khong duoc chap nhan",
     "phishing.state_benefit_or_fine"),
    ("Nhan lam cac loai giay to: can cuoc, bang cap 3, bang dai hoc, lay nhanh",
     "docs.make_identity_papers"),
    ("Em nhận đi làm tình tận nơi, giá cả ưu đãi, kết bạn zalo 0900111222", "sex.paid_sex"),
    ("Nhóm mình cần người thả tim video kiếm tiền tại nhà, mỗi ngày 30 phút", "jobs.task_scam"),
])
def test_scam_messages_are_found(rules_clf, text, rule):
    p = rules_clf.predict(text)
    assert f"illegal_ads.{rule}" in {e.rule for e in p.evidence}, [e.rule for e in p.evidence]


@pytest.mark.parametrize(("text", "rule"), [
    # Real carriers' and banks' messages say some of the same words.
    ("Quy khach vua duoc cong 20 diem thuong. Truy cap https://app.nhamang.vn/uu-dai de doi "
     "diem lay phut goi", "phishing.link_to_secure"),
    ("Truy cập https://shopee.vn để nhận voucher 50k", "phishing.link_to_secure"),
    ("Nhận làm giấy tờ xe, sang tên đổi chủ, đăng ký kết hôn có yếu tố nước ngoài",
     "docs.make_identity_papers"),
    ("Làm tình lần đầu có đau không, liên hệ bác sĩ để được tư vấn", "sex.paid_sex"),
    ("Làm tình có giá trị gì trong hôn nhân?", "sex.paid_sex"),
])
def test_ordinary_messages_with_the_same_words_are_not(rules_clf, text, rule):
    p = rules_clf.predict(text)
    assert f"illegal_ads.{rule}" not in {e.rule for e in p.evidence}


@pytest.mark.parametrize(("text", "rule"), [
    # Ordinary sellers' words that rules once read as signs (found among the legal sales
    # posts of the policy's training split; these sentences are the project's own).
    ("🍄🍄🍄 HÀNG MỚI VỀ 🍄🍄🍄 chân gà cay 35k/hộp", "drugs.price_code"),
    ("Trà thảo mộc thanh nhiệt 🌿🌿 giá 120k một hộp", "drugs.price_code"),
    ("Mặt đại bàng bạc ta size 10cm, dây đánh rỗng, giá xưởng", "wildlife.ambiguous_names"),
    ("Kem dưỡng giúp mờ vết nám, tàn nhang, đồi mồi sau 4 tuần", "wildlife.ambiguous_names"),
    ("Cửa hàng Thế Giới Di Động Sơn Dương khai trương, giảm 10%", "wildlife.ambiguous_names"),
    ("Cà phê culi rang mộc 250k/kg, ship toàn quốc", "wildlife.ambiguous_names"),
    ("Váy hai dây hàng Quảng Châu, shop cam kết y hình, đổi trả 3 ngày", "docs.diploma"),
    ("Bánh tráng trộn ngon lắm, cuối tuần ghé mua nha đi khách ơi", "sex.di_khach"),
    ("Đội bóng mình cần đi khách các sân quận 7 tối thứ ba", "sex.di_khach"),
    ("Balo da bò nam, bao lô tiện lợi nhiều ngăn, giá 450k", "gambling.betting_accented"),
    ("Ốp lưng iphone cao cấp chống sốc 90k", "counterfeit.luxury_grade"),
    ("Giày búp bê hình thật 100%, shop có dịch vụ ship COD", "sex.coded_weak"),
    ("Giày búp bê hình thật 100%, shop có dịch vụ ship COD", "sex.coded"),
    ("Dầu cá Omega 3 giá 250k, bổ não sáng mắt", "counterfeit.omega_priced"),
    ("Viên uống Omega 3-6-9 chỉ 199k/hộp", "counterfeit.omega_priced"),
])
def test_ordinary_sellers_words_are_no_sign(rules_clf, text, rule):
    p = rules_clf.predict(text)
    assert f"illegal_ads.{rule}" not in {e.rule for e in p.evidence}, [e.rule for e in p.evidence]


@pytest.mark.parametrize(("text", "rule"), [
    ("❄️❄️ hàng về nhiều, 🍬💊 đủ loại, ib", "drugs.price_code"),
    ("Cần bán chim đại bàng non đã thuần, giá 20 triệu", "wildlife.ambiguous_names"),
    ("Thu mua sừng tê, đồi mồi cũ giá cao", "wildlife.ambiguous_names"),
    ("Em nhận đi khách ở quận 1, bao đêm 2 triệu", "sex.di_khach"),
    ("Đồng hồ Omega nam máy cơ giá 950k", "counterfeit.omega_priced"),
    ("Áo thun loang màu Chanel. 3 màu, #160k", "counterfeit.luxury_priced"),
    ("Spa thư giãn nam, kỹ thuật viên nữ trẻ, có dịch vụ riêng, hình thật 100%",
     "sex.coded_weak"),
])
def test_the_same_words_still_count_where_they_are_signs(rules_clf, text, rule):
    p = rules_clf.predict(text)
    assert f"illegal_ads.{rule}" in {e.rule for e in p.evidence}, [e.rule for e in p.evidence]


LISTED = '''category = "illegal_ads"
[lists]
brands = ["dior", "louis vuitton", "d&g"]
[[rule]]
id = "x.priced"
kind = "term"
terms = ["{{brands}}", "gc"]
weight = 5
[[rule]]
id = "x.grade"
kind = "pattern"
pattern = '\\b{{brands}}\\s(?:\\S+\\s){0,2}?super\\b'
weight = 5
'''


def test_a_named_list_is_shared_by_term_and_pattern_rules(tmp_path):
    (tmp_path / "x.toml").write_text(LISTED, encoding="utf-8")
    lexicon = load_lexicon(tmp_path)
    assert lexicon.rules[0].terms == ("dior", "louis vuitton", "d&g", "gc")
    engine = RuleEngine(lexicon)
    for text, rule in [("Túi Louis Vuitton mới về", "x.priced"), ("túi d&g đẹp", "x.priced"),
                       ("Ví Dior hàng super nha", "x.grade"),
                       ("Louis Vuitton bản super", "x.grade")]:
        assert rule in {h.rule.id for h in engine.hits(normalise(text))}, text
    assert not engine.hits(normalise("Túi da bò hàng super"))


GUARDED_PATTERN = """
category = "offensive"
[[rule]]
id = "x.meo"
kind = "pattern"
pattern = '\\bméo (?:biết|có)\\b'
weight = 4.5
unless_prev = ["bị", "hơi"]
unless_next = ["gì"]
"""


def test_a_pattern_rule_keeps_its_unless_guards(tmp_path):
    (tmp_path / "x.toml").write_text(GUARDED_PATTERN, encoding="utf-8")
    engine = RuleEngine(load_lexicon(tmp_path))
    hit = {text: bool(engine.hits(normalise(text))) for text in [
        "méo biết luôn", "tao méo có tiền", "hộp bị méo có đổi không", "hơi méo có sao không",
        "méo có gì đâu", "meo biet luon", "hop bi meo co doi khong"]}
    assert hit == {"méo biết luôn": True, "tao méo có tiền": True,
                   "hộp bị méo có đổi không": False, "hơi méo có sao không": False,
                   "méo có gì đâu": False, "meo biet luon": True, "hop bi meo co doi khong": False}


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s.replace('"{{brands}}"', '"{{brand}}"'), r"no list 'brand'.*\['brands'\]"),
    (lambda s: s.replace("{{brands}}\\s", "{{nope}}\\s"), r"'x.grade'.*no list 'nope'"),
    (lambda s: s.replace('brands = ["dior", "louis vuitton", "d&g"]', "brands = []"),
     r"list 'brands' must be a non-empty list"),
])
def test_named_list_errors_say_what_is_wrong(tmp_path, edit, message):
    (tmp_path / "x.toml").write_text(edit(LISTED), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_lexicon(tmp_path)


def test_a_list_name_is_defined_once_across_files(tmp_path):
    (tmp_path / "x.toml").write_text(LISTED, encoding="utf-8")
    (tmp_path / "y.toml").write_text('category = "insult"\n[lists]\nbrands = ["a"]\n',
                                     encoding="utf-8")
    with pytest.raises(ValueError, match=r"y.toml: list 'brands' is defined twice"):
        load_lexicon(tmp_path)


@pytest.mark.parametrize(("text", "rule"), [
    ("Hỏi thằng lol đó mà xem", "insult.target.vulgar_noun"),
    ("Thằng cc admin lại xóa bài", "insult.target.vulgar_noun"),    # 'cc' read 'cái cặc'
    ("mấy thằng máu lồn đó thì biết gì", "insult.target.vulgar_noun"),
    ("Cái page óc lol này đăng tin láo", "insult.word.oc_cho_accented"),
    ("Nói vậy là ngu hơn con bò", "insult.word.ngu_compounds_accented"),
    ("Để thằng ad sủa tiếp", "insult.command.bark"),
    ("Tụi mắt hí thì biết gì", "insult.ethnic.slur"),
    ("Tỉnh chưa hả 90 triệu con lừa", "insult.politics.population_animals"),
])
def test_insult_wordings_read_off_the_training_misses(rules_clf, text, rule):
    p = rules_clf.predict(text)
    assert any(e.rule == rule and e.weight > 0 for e in p.evidence), (
        p.scores, [e.rule for e in p.evidence])
    assert p.scores["insult"] > 0.3


@pytest.mark.parametrize("text", [
    "Trại nhà mình bán 20 triệu con bò giống",                       # cattle at a price
    "Con cừu này bán 5 triệu, con lừa 12 triệu",
    "Mắt em bé hơi hí nhưng dễ thương",
    "m con lol gì nữa không",                                        # 'mày còn lol'
    "Mua 2 lon bia, 4 lon nước ngọt",
])
def test_new_insult_wordings_leave_these_alone(rules_clf, text):
    p = rules_clf.predict(text)
    assert "insult" not in p.labels, (p.scores, [(e.rule, e.text) for e in p.evidence])


def test_a_mark_after_a_word_changes_neither_its_floor_nor_a_price_but_ends_its_evidence():
    # A variation selector or keycap mark after the last letter belongs to that letter: the
    # evidence span takes it in; the floor (word written in full) and the price read stay.
    engine = RuleEngine()
    for plain, marked, tail in (("vãi lồn", "vãi lồn\ufe0f", "lồn\ufe0f"),
                                ("túi gucci giá 1tr2", "túi gucci giá 1tr2\ufe0f\u20e3", None)):
        results = []
        for text in (plain, marked):
            doc = normalise(text)
            scores, counted = engine.score(engine.hits(doc))
            results.append((scores.tolist(), engine.floors(doc, counted, scores).tolist(),
                            sorted(h.rule.id for h in counted)))
            if text == marked and tail is not None:
                assert any(e.text.endswith(tail) for e in engine.evidence(doc, counted))
        assert results[0] == results[1]
        assert max(results[0][0]) > 0.5  # the rules hit: the comparison means something
