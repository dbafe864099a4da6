"""Validators and normalisers for Chinese identifiers (standard library only).

Covers the unified social credit code (GB 32100-2015), the resident ID card number
(GB 11643-1999), the drug approval number (国药准字) and mainland mobile numbers.
Algorithms and test vectors: /work/shared/reference/identifiers.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from generator.types.base import N_

# Messages are English msgids; they are translated where they are shown.
MSG_USCC = N_("Not a valid unified social credit code (18 characters, GB 32100 check "
              "character).")
MSG_ID_CARD = N_("Not a valid resident ID card number (18 characters, GB 11643 check "
                 "character, real birth date).")
MSG_APPROVAL_NUMBER = N_("Not a valid drug approval number (国药准字 + letter code + 8 digits).")
MSG_MOBILE = N_("Not a valid mainland China mobile number (11 digits starting with 13 to 19).")


def normalize_code(value: str) -> str:
    """NFKC (full-width -> ASCII, U+3000 -> space), drop all whitespace, upper-case."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(text.split()).upper()


# --- 统一社会信用代码 (GB 32100-2015) ---------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 chars: no I, O, S, V, Z
_USCC_VALUES = {char: index for index, char in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 3^(i-1) mod 31, i = 1..17

# The embedded organisation code (positions 9-17, GB 11714) is checked as well: every valid
# vector in the reference passes this check. Set to False if real-world codes turn up that
# pass the GB 32100 check but fail the GB 11714 one.
CHECK_EMBEDDED_ORG_CODE = True
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_RE = re.compile(r"[0-9A-Z]{8}")


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a code."""
    body = normalize_code(first17)
    if len(body) != 17 or any(char not in _USCC_VALUES for char in body):
        raise ValueError(f"expected 17 characters from {USCC_CHARSET!r}, got {first17!r}")
    total = sum(
        _USCC_VALUES[char] * weight for char, weight in zip(body, _USCC_WEIGHTS, strict=True)
    )
    return USCC_CHARSET[(31 - total % 31) % 31]


def _org_code_check_char(body: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    # Digits keep their value, letters count A=10 .. Z=35 (int(c, 36) does exactly that).
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _is_org_code(code: str) -> bool:
    """True if a 9-character GB 11714 organisation code has a correct check character."""
    body, check = code[:8], code[8:]
    return bool(_ORG_BODY_RE.fullmatch(body)) and _org_code_check_char(body) == check


def compose_uscc(authority: str, region: str, org_body: str) -> str:
    """A valid code from its parts: registration authority (e.g. 12 public institution, 91
    enterprise), GB/T 2260 region, an 8-character GB 11714 organisation code body (its check
    character is added), then the GB 32100 check character."""
    first17 = f"{authority}{region}{org_body}{_org_code_check_char(org_body)}"
    return first17 + uscc_check_char(first17)


def is_uscc(value: str) -> bool:
    """Validate a unified social credit code; any authority character in the charset is OK."""
    if not isinstance(value, str):
        return False
    code = normalize_code(value)
    if len(code) != 18 or any(char not in _USCC_VALUES for char in code):
        return False
    if uscc_check_char(code[:17]) != code[17]:
        return False
    return not CHECK_EMBEDDED_ORG_CODE or _is_org_code(code[8:17])


# --- 居民身份证号 (GB 11643-1999) -------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID_MIN_BIRTH = date(1900, 1, 1)
# GB/T 2260 provincial-level codes (34). County codes are deliberately not checked:
# published division lists lag behind new counties (e.g. 330113).
# fmt: off
ID_PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
        "21", "22", "23",  # 辽宁 吉林 黑龙江
        "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
        "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
        "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
        "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
        "71", "81", "82",  # 台湾 香港 澳门
    }
)
# fmt: on


def id_card_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _birth_date(code: str) -> date | None:
    """Birth date encoded at positions 7-14, or None if it is not a real date."""
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def is_id_card(value: str, today: date | None = None) -> bool:
    """Validate an 18-character resident ID number (check char, birth date, province)."""
    if not isinstance(value, str):
        return False
    code = normalize_code(value)  # also upper-cases a trailing x
    if not _ID_RE.fullmatch(code) or code[:2] not in ID_PROVINCES:
        return False
    birth = _birth_date(code)
    if birth is None or not _ID_MIN_BIRTH <= birth <= (today or date.today()):
        return False
    return id_card_check_char(code[:17]) == code[17]


# --- 药品批准文号 ------------------------------------------------------------------------

# Current: H/Z/S + optional C (HK/Macau/Taiwan) or J (imported); older: B, T, F, J alone.
_APPROVAL_RE = re.compile(r"国药准字(?:[HZS][CJ]?|[JBTF])[0-9]{8}")


def normalize_approval_number(value: str) -> str:
    """Full-width letters/digits -> ASCII, drop whitespace, upper-case (国药准字 unchanged)."""
    return normalize_code(value)


def is_approval_number(value: str) -> bool:
    """Validate a drug approval number such as 国药准字H20203001."""
    if not isinstance(value, str):
        return False
    return bool(_APPROVAL_RE.fullmatch(normalize_approval_number(value)))


# --- Mobile numbers -----------------------------------------------------------------------

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")  # whitespace and dashes


def normalize_mobile(value: str) -> str:
    """NFKC, drop spaces and hyphens, strip a +86 / 0086 country prefix."""
    text = _MOBILE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def is_mobile(value: str) -> bool:
    """Validate a mainland mobile number; number blocks are not hard-coded."""
    if not isinstance(value, str):
        return False
    return bool(_MOBILE_RE.fullmatch(normalize_mobile(value)))


# --- Registries used by the schema generator ---------------------------------------------

VALIDATORS: dict[str, tuple[Callable[[str], bool], str]] = {
    "uscc": (is_uscc, MSG_USCC),
    "id_card": (is_id_card, MSG_ID_CARD),
    "approval_number": (is_approval_number, MSG_APPROVAL_NUMBER),
    "mobile": (is_mobile, MSG_MOBILE),
}

# Normaliser applied before storing a value that passed the validator of the same name.
NORMALIZERS: dict[str, Callable[[str], str]] = {
    "uscc": normalize_code,
    "id_card": normalize_code,
    "approval_number": normalize_approval_number,
    "mobile": normalize_mobile,
}
