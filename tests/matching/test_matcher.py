"""The matcher: alias, exact name or code, fuzzy; ready only when the match is unambiguous."""

import time

import pytest

from guarantees.matching import Candidate, Matcher, MatchThresholds, match_pair

BANKS = [
    Candidate(6, ["البنك الأهلي السعودي", "Saudi National Bank (SNB)"], "SNB"),
    Candidate(7, ["بنك الرياض", "Riyad Bank"], "RJB"),
    Candidate(8, ["البنك العربي الوطني", "Arab National Bank"], "ANB"),
    Candidate(10, ["بنك الجزيرة", "Bank AlJazira"], "BJAZ"),
    Candidate(11, ["البنك السعودي للاستثمار", "Saudi Investment Bank (SAIB)"], "SAIB"),
    Candidate(16, ["البنك السعودي الفرنسي", "Banque Saudi Fransi (BSF)"], "BSF"),
    Candidate(39, ["البنك السعودي الأول", "Saudi Awwal Bank (SAB)"], "SAB"),
]

SUPPLIERS = [
    Candidate(118, ["شركة الحياة الطبية"]),
    Candidate(128, ["NAGHI  BROTHERS"]),
    Candidate(61, ["AL HADA CONTRACTING CO. LTD"]),
    Candidate(90, ["Axelerated Solutions CO"]),
    Candidate(54, ["شركة سما ماسا التجارية"]),
    Candidate(129, ["شركة الصالحية التجارية"]),
    Candidate(142, ["زومو التجارية"]),
]


@pytest.fixture
def banks() -> Matcher:
    return Matcher(BANKS)


@pytest.fixture
def suppliers() -> Matcher:
    return Matcher(SUPPLIERS)


def test_exact_after_normalisation(suppliers: Matcher) -> None:
    result = suppliers.match("الحياه الطبيه ")
    assert (result.status, result.entity_id, result.method, result.score) == ("ready", 118, "exact", 100.0)
    assert suppliers.match("Naghi\xa0Brothers Co.").entity_id == 128
    # Word splits do not matter either.
    assert suppliers.match("ALHADA CONTRACTING CO. LTD").entity_id == 61


@pytest.mark.parametrize(("raw", "expected"), [("SAB", 39), ("anb", 8), (" snb ", 6), ("Bsf", 16)])
def test_short_code_case_insensitive(banks: Matcher, raw: str, expected: int) -> None:
    result = banks.match(raw)
    assert (result.status, result.entity_id, result.method) == ("ready", expected, "code")


@pytest.mark.parametrize(
    ("raw", "expected", "method"),
    [
        ("بنك الرياض", 7, "exact"),
        ("RIYAD BANK", 7, "exact"),
        ("البنك الاهلي السعودي", 6, "exact"),
        ("Saudi Investment Bank", 11, "exact"),  # the English name without its bracketed acronym
        ("ALJAZIRA BANK", 10, "fuzzy"),  # word order
        (" ALJAZIRA  BANK", 10, "fuzzy"),
    ],
)
def test_arabic_and_english_names_of_a_bank(banks: Matcher, raw: str, expected: int, method: str) -> None:
    result = banks.match(raw)
    assert (result.status, result.entity_id, result.method) == ("ready", expected, method)


def test_unknown_names_need_review(banks: Matcher, suppliers: Matcher) -> None:
    for matcher, raw in ((banks, "SAMBA"), (banks, "Bahrain bank"), (suppliers, "SCHINDLER OLAYAN ELEVATOR CO.")):
        result = matcher.match(raw)
        assert result.status == "needs_review"
        assert result.entity_id is None


@pytest.mark.parametrize("raw", [None, "", "  \xa0", "---"])
def test_empty_name_needs_review(suppliers: Matcher, raw: str | None) -> None:
    result = suppliers.match(raw)
    assert (result.status, result.entity_id, result.method, result.candidates) == ("needs_review", None, None, [])


def test_duplicate_dictionary_names_are_ambiguous() -> None:
    matcher = Matcher(
        [
            Candidate(16, ["البنك السعودي الفرنسي", "Banque Saudi Fransi"], "BSF"),
            Candidate(41, ["البنك السعودي الفرنسي"]),
            Candidate(8, ["البنك العربي الوطني"]),
        ]
    )
    result = matcher.match("البنك السعودي الفرنسي")
    assert (result.status, result.entity_id, result.method) == ("needs_review", None, "exact")
    assert result.candidates[:2] == [(16, 100.0), (41, 100.0)]
    # The name only one of them carries still matches.
    assert matcher.match("BANQUE SAUDI FRANSI").entity_id == 16


def test_names_differing_only_in_spacing_are_duplicates() -> None:
    matcher = Matcher(
        [
            Candidate(49, ["شركة الحلول المتسارعة للاتصالات وتقنية المعلومات"]),
            Candidate(57, ["شركة الحلول المتسارعة للاتصالات و تقنية المعلومات"]),
        ]
    )
    result = matcher.match("شركة الحلول المتسارعة للاتصالات و تقنية المعلومات")
    assert result.status == "needs_review"
    assert {entity_id for entity_id, _ in result.candidates} == {49, 57}


def test_legal_form_alone_does_not_tell_entries_apart() -> None:
    matcher = Matcher([Candidate(16, ["ORIENT MATERIALS EST."]), Candidate(81, ["ORIENT MATERIALS CO."])])
    assert matcher.match("ORIENT MATERIALS CO.").status == "needs_review"


def test_alias_comes_first() -> None:
    aliases = {"sameer trading": 29, "البنك السعودي الفرنسي": 16}
    matcher = Matcher(
        [
            Candidate(29, ["شركة سمير للتجارة والتسويق"]),
            Candidate(102, ["SAMEER TRADING"]),
            Candidate(16, ["البنك السعودي الفرنسي"]),
            Candidate(41, ["البنك السعودي الفرنسي"]),
        ],
        aliases=aliases,
    )
    result = matcher.match("SAMEER TRADING CO.")
    assert (result.status, result.entity_id, result.method) == ("ready", 29, "alias")
    # A learned choice settles a duplicated dictionary name.
    assert matcher.match("البنك السعودي الفرنسي ").entity_id == 16


def test_alias_keys_are_normalised_and_stale_ids_ignored() -> None:
    matcher = Matcher([Candidate(1, ["Alpha Trading"]), Candidate(2, ["Beta Trading"])], {"ALPHA  Co.": 2, "beta": 99})
    assert matcher.match("alpha").entity_id == 2
    assert matcher.match("beta").method != "alias"


def test_close_runner_up_needs_review() -> None:
    matcher = Matcher(
        [
            Candidate(44, ["Ernst & Young Professional Services"]),
            Candidate(63, ["Ernst and Young Profissional Servises"]),
        ]
    )
    result = matcher.match("Ernst & Young Profesional Services")
    assert result.method == "fuzzy"
    assert result.status == "needs_review"
    assert [entity_id for entity_id, _ in result.candidates] == [44, 63]
    assert result.candidates[0][1] >= 90
    # With no margin asked for, the same best score is enough.
    loose = Matcher(
        [
            Candidate(44, ["Ernst & Young Professional Services"]),
            Candidate(63, ["Ernst and Young Profissional Servises"]),
        ],
        thresholds=MatchThresholds(min_score=90, min_margin=0),
    )
    assert loose.match("Ernst & Young Profesional Services").entity_id == 44


def test_raising_min_score_turns_a_fuzzy_match_into_review() -> None:
    entries = [Candidate(1, ["Axelerated Solutions"]), Candidate(2, ["Integrated Networks"])]
    default = Matcher(entries).match("Axelerated Solution")
    assert (default.status, default.entity_id, default.method) == ("ready", 1, "fuzzy")
    strict = Matcher(entries, thresholds=MatchThresholds(min_score=99, min_margin=8)).match("Axelerated Solution")
    assert (strict.status, strict.entity_id) == ("needs_review", None)
    assert strict.candidates[0][0] == 1
    assert strict.score == default.score


def test_generic_words_do_not_carry_a_fuzzy_match(suppliers: Matcher) -> None:
    # 'التجاريه' is shared by several entries; the distinctive word differs by one letter.
    result = suppliers.match("شركة زمو التجارية المحدودة")
    assert result.status == "needs_review"
    assert result.candidates[0][0] == 142


def test_candidates_ranked_best_first_at_most_five(banks: Matcher) -> None:
    result = banks.match("Saudi Bank")
    scores = [score for _, score in result.candidates]
    assert len(result.candidates) <= 5
    assert scores == sorted(scores, reverse=True)
    assert len({entity_id for entity_id, _ in result.candidates}) == len(result.candidates)


def test_results_are_cached_by_normalised_name(suppliers: Matcher) -> None:
    assert suppliers.match("شركة الحياة الطبية") is suppliers.match("الحياه الطبيه")


def test_thresholds_from_config() -> None:
    defaults = MatchThresholds()
    assert MatchThresholds.from_config({}) == defaults
    assert MatchThresholds.from_config({"MATCH_MIN_SCORE": None, "MATCH_MIN_MARGIN": ""}) == defaults
    assert MatchThresholds.from_config({"MATCH_MIN_SCORE": "95", "MATCH_MIN_MARGIN": 4}) == MatchThresholds(95, 4)
    with pytest.raises(ValueError, match="0-100"):
        MatchThresholds.from_config({"MATCH_MIN_SCORE": 150})


def test_match_pair_ready_only_when_both_are(banks: Matcher, suppliers: Matcher) -> None:
    both = match_pair(suppliers, banks, "NAGHI BROTHERS", "SNB")
    assert (both.status, both.supplier.entity_id, both.bank.entity_id) == ("ready", 128, 6)
    one = match_pair(suppliers, banks, "NAGHI BROTHERS", "SAMBA")
    assert one.status == "needs_review"
    assert one.supplier.ready and not one.bank.ready


def test_thousands_of_names_per_second() -> None:
    entries = [Candidate(i, [f"Company Number {i} Trading", f"شركة رقم {i} للتجارة"]) for i in range(500)]
    started = time.perf_counter()
    matcher = Matcher(entries)
    names = [f"Company Numbr {i} Tradng Co." for i in range(2000)]
    for name in names:
        matcher.match(name)
    elapsed = time.perf_counter() - started
    # Generous bound for a slow CI machine; typically well under a second.
    assert elapsed < 4.0, f"{len(names)} distinct names took {elapsed:.2f}s"


def test_an_official_name_outranks_another_entrys_display_name() -> None:
    # The same firm entered twice: once under its Arabic name, once under its English one with the Arabic
    # as display name. The entry whose official name it is wins; the other stays a proposal.
    matcher = Matcher(
        [
            Candidate(6, ["الشركة العربية للوازم الطبية", "الشركة العربية للوازم الطبية"], official=1),
            Candidate(60, ["ARABIAN HEALTH CARE SUPPLY CO.", "الشركة العربية للوازم الطبية"], official=1),
        ]
    )
    result = matcher.match("الشركة العربية للوازم الطبية")
    assert (result.status, result.entity_id, result.method) == ("ready", 6, "exact")
    assert result.candidates[:2] == [(6, 100.0), (60, 100.0)]
    # Two official names are a duplicated entry: a person chooses.
    both = Matcher([Candidate(1, ["Delta Trading"]), Candidate(2, ["Delta Trading Est."], official=1)])
    assert both.match("DELTA TRADING").status == "needs_review"


def test_a_name_as_written_outranks_one_met_only_without_its_brackets() -> None:
    baud = Candidate(95, ["BAUD TELECOM COMPANY (BTC NETWORKS)"])
    matcher = Matcher([baud, Candidate(137, ["Baud Telecom Company"])])
    assert matcher.match("Baud Telecom Co.").entity_id == 137
    # Alone, the name without its bracketed part still matches.
    assert Matcher([baud]).match("Baud Telecom").entity_id == 95


NAMED_BANKS = [
    Candidate(5, ["مصرف الراجحي", "Al Rajhi Bank"], "RJH"),
    Candidate(24, ["بنك البحرين الوطني", "National Bank of Bahrain (NBB)"], "NBB"),
    Candidate(22, ["بنك الكويت الوطني", "National Bank of Kuwait (NBK)"], "NBK"),
    Candidate(29, ["البنك الوطني العماني", "National Bank of Oman (NBO)"], "NBO"),
    Candidate(8, ["البنك العربي الوطني", "Arab National Bank"], "ANB"),
    Candidate(19, ["بنك دبي الإسلامي", "Dubai Islamic Bank (DIB)"], "DIB"),
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Bahrain bank", 24), ("BANK OF KUWAIT", 22), ("بنك البحرين", 24), ("AL RAJHI", 5), ("Rajhi", 5)],
)
def test_a_shorter_name_with_the_same_distinctive_words_matches(raw: str, expected: int) -> None:
    result = Matcher(NAMED_BANKS).match(raw)
    assert (result.status, result.entity_id, result.method) == ("ready", expected, "fuzzy")


@pytest.mark.parametrize("raw", ["Bahrain Islamic Bank", "National Bank", "Kuwait Finance House", "Rajhi Capital"])
def test_a_shorter_name_adding_a_word_or_saying_nothing_distinctive_needs_review(raw: str) -> None:
    assert Matcher(NAMED_BANKS).match(raw).status == "needs_review"


def test_a_shorter_name_two_entries_contain_needs_review() -> None:
    banks = [*NAMED_BANKS, Candidate(25, ["بنك البحرين الإسلامي", "BisB - Bahrain Islamic Bank"], "BISB")]
    # 'Bahrain Islamic Bank' has a distinctive word 'Bahrain bank' lacks: only NBB holds exactly its words.
    assert Matcher(banks).match("Bahrain bank").entity_id == 24
    # 'Trading' and 'Contracting' are generic here (three entries or more carry them); 'Zimmo' is not.
    others = [Candidate(3 + i, [f"{name} Trading Contracting"]) for i, name in enumerate(("Alpha", "Beta", "Gamma"))]
    twins = [Candidate(1, ["Zimmo Trading"]), Candidate(2, ["Zimmo Contracting"]), *others]
    result = Matcher(twins).match("ZIMMO")
    assert result.status == "needs_review"
    assert {entity_id for entity_id, _ in result.candidates[:2]} == {1, 2}


def test_former_names_never_outrank_the_dictionarys_own() -> None:
    banks = [Candidate(39, ["Saudi Awwal Bank (SAB)"], "SAB"), Candidate(99, ["SABB Takaful"], "SABB")]
    matcher = Matcher(banks, known_names={"SABB": "Saudi Awwal Bank", "Gone Bank": "Nowhere Bank"})
    assert (matcher.match("SABB").entity_id, matcher.match("SABB").method) == (99, "code")
    assert Matcher(banks[:1], known_names={"SABB": "Saudi Awwal Bank"}).match("sabb").method == "known"
    # A former name whose current name no entry carries is ignored.
    assert matcher.match("Gone Bank").status == "needs_review"


def test_a_name_in_the_other_script_is_proposed_never_trusted() -> None:
    suppliers = [
        Candidate(34, ["مجموعة المرشد العالمية"]),
        Candidate(55, ["شركة الهدا للمقاولات المحدودة"]),
        Candidate(98, ["ALMARSHD"]),
        Candidate(29, ["شركة سمير للتجارة والتسويق"]),
        Candidate(8, ["شركة الوسام الحديث للمقاولات"]),
        Candidate(7, ["Beta Contracting"]),
    ]
    matcher = Matcher(suppliers)
    for raw, expected in (("AL MARSHAD GROUP", 34), ("SAMEER TRADING", 29), ("مؤسسة المرشد", 98)):
        result = matcher.match(raw)
        assert result.status == "needs_review", raw
        assert expected in [entity_id for entity_id, _ in result.candidates], raw
        assert dict(result.candidates)[expected] < matcher.thresholds.min_score
    # Even with loose thresholds a transliteration alone is not trusted.
    loose = Matcher(suppliers, thresholds=MatchThresholds(min_score=60, min_margin=0))
    assert loose.match("مؤسسة المرشد").status == "needs_review"
