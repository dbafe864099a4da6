from __future__ import annotations

from datetime import date

import pytest

from generator import identifiers as ids

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALID_USCC = [
    "91110000600037341L",
    "12100000400000624D",
    "91320500MA1M9X702E",
    "1244000045585765XR",
    "52110105MJ0000T04G",
    "91350100M000100Y43",
]
VALID_ID = [
    "440304199001010011",
    "320106198506151231",
    "360426199101010071",
    "11010119900301081X",
    "11010519491231002X",
]
TODAY = date(2024, 6, 1)
FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}  # "!".."~" -> U+FF01..U+FF5E
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def fw(text: str) -> str:
    """Full-width form of ASCII text, as typed with a Chinese input method."""
    return text.translate(FULL_WIDTH)


def make_id(first17: str) -> str:
    """Build an ID number with the GB 11643 algorithm, independently of the module."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


# --- normalize_code -----------------------------------------------------------------------


def test_normalize_code_full_width_and_spaces() -> None:
    assert ids.normalize_code("\u3000" + fw("91350100M000100Y43") + " ") == "91350100M000100Y43"
    assert ids.normalize_code(" 9135 0100m000100y43\t") == "91350100M000100Y43"


# --- USCC ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc(code: str) -> None:
    assert ids.is_uscc(code)
    assert ids.uscc_check_char(code[:17]) == code[17]


def test_uscc_worked_example() -> None:
    assert ids.uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code", VALID_USCC)
def test_every_single_character_change_fails(code: str) -> None:
    for pos in range(18):
        for char in USCC_CHARSET:
            if char == code[pos]:
                continue
            changed = code[:pos] + char + code[pos + 1 :]
            assert not ids.is_uscc(changed), changed


def test_uscc_full_width_and_lower_case() -> None:
    full_width = fw("91350100M000100Y43")
    assert full_width[0] == "\uff19"  # FULLWIDTH DIGIT NINE
    assert ids.is_uscc(full_width)
    assert ids.normalize_code(full_width) == "91350100M000100Y43"
    assert ids.is_uscc("91320500ma1m9x702e")
    assert ids.is_uscc(" 9132 0500 MA1M 9X70 2E ")


def test_uscc_authority_y_and_other_authorities() -> None:
    # Authority "Y" (other) is accepted; only the charset and check characters matter.
    for first in "Y2A":
        body = first + "1350100M000100Y4"
        assert ids.is_uscc(body + ids.uscc_check_char(body))


@pytest.mark.parametrize(
    "value",
    ["", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100I43", None, 91110000],
)
def test_uscc_bad_shapes(value: object) -> None:
    assert not ids.is_uscc(value)  # type: ignore[arg-type]


def test_uscc_embedded_org_code_is_checked() -> None:
    # Valid GB 32100 check character but wrong GB 11714 check character (Y4 -> Y5).
    body = "91350100M000100Y5"
    assert not ids.is_uscc(body + ids.uscc_check_char(body))


def test_uscc_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        ids.uscc_check_char("123")
    with pytest.raises(ValueError):
        ids.uscc_check_char("91350100M000100O4")


# --- ID card ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID_ID)
def test_valid_id_cards(number: str) -> None:
    assert ids.is_id_card(number, today=TODAY)
    assert ids.is_id_card(number)


def test_id_card_lower_case_x_and_full_width() -> None:
    assert ids.is_id_card("11010119900301081x", today=TODAY)
    assert ids.is_id_card(fw("11010119900301081X"), today=TODAY)


def test_id_card_worked_example() -> None:
    assert ids.id_card_check_char("11010519491231002") == "X"
    assert make_id("11010519491231002") == "11010519491231002X"


def test_id_card_wrong_check_char() -> None:
    assert not ids.is_id_card("440304199001010012", today=TODAY)
    assert not ids.is_id_card("110101199003010810", today=TODAY)


def test_id_card_future_birth_date_fails() -> None:
    number = make_id("11010120250101001")
    assert not ids.is_id_card(number, today=TODAY)
    assert ids.is_id_card(number, today=date(2025, 1, 1))


def test_id_card_before_1900_fails() -> None:
    assert not ids.is_id_card(make_id("11010118991231001"), today=TODAY)
    assert ids.is_id_card(make_id("11010119000101001"), today=TODAY)


def test_id_card_impossible_date_fails() -> None:
    assert not ids.is_id_card(make_id("11010119900230001"), today=TODAY)  # Feb 30
    assert not ids.is_id_card(make_id("11010119901301001"), today=TODAY)  # month 13


def test_id_card_unknown_province_fails() -> None:
    assert not ids.is_id_card(make_id("99010119900101001"), today=TODAY)
    assert not ids.is_id_card(make_id("10010119900101001"), today=TODAY)


def test_id_card_new_county_passes() -> None:
    assert ids.is_id_card(make_id("33011319900101001"), today=TODAY)


@pytest.mark.parametrize("prefix", ["71", "81", "82", "65"])
def test_id_card_special_provinces(prefix: str) -> None:
    assert ids.is_id_card(make_id(prefix + "000019900101001"), today=TODAY)


def test_province_list_has_34_entries() -> None:
    assert len(ids.ID_PROVINCES) == 34


@pytest.mark.parametrize("value", ["", "44030419900101001", "4403041990010100111", None])
def test_id_card_bad_shapes(value: object) -> None:
    assert not ids.is_id_card(value, today=TODAY)  # type: ignore[arg-type]


# --- Approval numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "国药准字H20203001",
        "国药准字Z20200001",
        "国药准字HC20200001",
        "国药准字HJ20200001",
        "国药准字S20200001",
        "国药准字J20100001",
        "国药准字B20020001",
        "国药准字 " + fw("H20203001"),
        "国药准字h20203001",
    ],
)
def test_valid_approval_numbers(number: str) -> None:
    assert ids.is_approval_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "国药准字X20200001",
        "国药准字H2020001",
        "H20140001",
        "国药准字H202030011",
        "国药准字JC20200001",
        "",
        None,
    ],
)
def test_invalid_approval_numbers(number: object) -> None:
    assert not ids.is_approval_number(number)  # type: ignore[arg-type]


def test_normalize_approval_number() -> None:
    assert (
        ids.normalize_approval_number(" 国药准字\u3000" + fw("h20203001") + " ")
        == "国药准字H20203001"
    )


# --- Mobile numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "13812345678",
        "+8613812345678",
        "+86 138 1234 5678",
        "008613812345678",
        "0086-138-1234-5678",
        "138-1234-5678",
        " 199 1234 5678 ",
        fw("13812345678"),
    ],
)
def test_valid_mobiles(number: str) -> None:
    assert ids.is_mobile(number)
    assert ids.normalize_mobile(number) == ids.normalize_mobile(number).strip()


@pytest.mark.parametrize(
    "number", ["12345678901", "1234", "", "11812345678", "138123456789", "+8512345678901", None]
)
def test_invalid_mobiles(number: object) -> None:
    assert not ids.is_mobile(number)  # type: ignore[arg-type]


def test_normalize_mobile() -> None:
    assert ids.normalize_mobile("+86 138-1234-5678") == "13812345678"
    assert ids.normalize_mobile("0086 13812345678") == "13812345678"


# --- Registries ---------------------------------------------------------------------------


def test_validators_and_normalizers_registry() -> None:
    names = {"uscc", "id_card", "approval_number", "mobile"}
    assert set(ids.VALIDATORS) == names
    assert set(ids.NORMALIZERS) == names
    samples = {
        "uscc": fw("91350100M000100Y43"),
        "id_card": "11010119900301081x",
        "approval_number": "国药准字 H20203001",
        "mobile": "+86 138 1234 5678",
    }
    for name, (predicate, message) in ids.VALIDATORS.items():
        assert isinstance(message, str) and message.startswith("Not a valid")
        assert predicate(samples[name])
        stored = ids.NORMALIZERS[name](samples[name])
        assert predicate(stored)
    assert ids.NORMALIZERS["id_card"]("11010119900301081x") == "11010119900301081X"
    assert ids.NORMALIZERS["mobile"]("+86 138 1234 5678") == "13812345678"


def test_messages_are_module_constants() -> None:
    assert ids.VALIDATORS["uscc"][1] is ids.MSG_USCC
    assert ids.VALIDATORS["id_card"][1] is ids.MSG_ID_CARD
    assert ids.VALIDATORS["approval_number"][1] is ids.MSG_APPROVAL_NUMBER
    assert ids.VALIDATORS["mobile"][1] is ids.MSG_MOBILE


def test_compose_uscc_builds_valid_codes() -> None:
    assert ids.compose_uscc("91", "350100", "M000100Y") == "91350100M000100Y43"  # a known code
    assert ids.is_uscc(ids.compose_uscc("12", "510104", "H0000003"))
