"""The Simplified Chinese catalog covers Flask-AppBuilder, WTForms and shared UI strings.

No Flask app is needed: the runtime catalog (translations/zh/LC_MESSAGES/messages.po) is
parsed with Babel and compared with msgids extracted *at test time* from the installed
flask_appbuilder package (Python modules and Jinja templates) and from the template that
the installed WTForms ships, so the check follows FAB/WTForms upgrades by itself.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PO = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
BASE_PO = ROOT / "translations" / "base" / "zh.po"

FAB_KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "__": None}
FAB_METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
FAB_OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "silent": "false"}}

# Characters that exist only in Traditional Chinese (their simplified forms differ).
TRADITIONAL_ONLY = set(
    "們錄碼關權資詳選擇無條輸顯編輯刪請為與項號頁數據個這說將時會對從還開發組戶設統計"
    "處註冊啟態記檢詢導門員證書藥應網絡確認視圖擊濾誤錯審傳檔變屬於總驗線復雜難簡體歡"
    "麼義東車長兩嚴來動區華協單國園圍報場壞聲備複夠頭寫實寶專尋層歲島師帳幣幫廣慶庫廢"
    "張強彈歸後徑戰擁損換揮搖擴擾敗斷晉棄極構槍標樣樹橋機歐歷殺氣漢湯溝滅準溫滿漁潔澤"
    "濃濕灣災烏煙熱燈獎現環產畫異療盡監盤礎禮禪離種稱穩窮窩競筆節範築糧紀約紅級納純紙"
    "紛細終結絕給絲綠維綜緊練縣績繩繼續罰罷羅聯聽職肅脅腦臉臨興舉艦艱藝蘇蟲螢衛衝補裝"
    "觀規覽親覺觸訂討訓訪許診詞該語諸論謝識譯議護讀讓豐貝負財貢貨販貧責貴買貸費貿賓賞"
    "賢賣質購贊趕趨跡踐軍軌轉輕載輔辦農達遠違連運過適遺邊鄉郵醫針鈴鋼錢鍵鎮鏡鐘鐵閉閒"
    "間閱闊隊陽階際陸險隱隨雙雞雲電靜韓頂順須預頓領頻題類顧風飛飯飲館馬鬥魚鳥鳴麗黃點"
    "黨齊齒龍"
)

EXPECTED = {
    # CRUD
    "Add": "新增",
    "Edit": "编辑",
    "Delete": "删除",
    "Show": "查看详情",
    "Detail": "详情",
    "Are you sure you want to delete this item?": "确定要删除这条记录吗？",
    "Add a new record": "新增记录",
    "Search": "查询",
    "Reset": "重置",
    "Export": "导出",
    "Actions": "操作",
    "List": "列表",
    "Back": "返回",
    "Save": "保存",
    "Add Filter": "添加筛选条件",
    "No records found": "未找到记录",
    "Page not found": "页面不存在",
    "Record not found": "记录不存在",
    # filters
    "Equal to": "等于",
    "Not Equal to": "不等于",
    "Contains": "包含",
    "Not Contains": "不包含",
    "Start with": "开头是",
    "Starts with": "开头是",
    "Not Starts with": "开头不是",
    "Ends with": "结尾是",
    "Not Ends with": "结尾不是",
    "Greater than": "大于",
    "Smaller than": "小于",
    "In": "属于",
    "Not In": "不属于",
    "Relation": "关联",
    "No Relation": "未关联",
    # pagination and counts
    "Record Count": "记录总数",
    "Total %(count)s records": "共 %(count)s 条记录",
    "First page": "首页",
    "Previous page": "上一页",
    "Next page": "下一页",
    "Last page": "末页",
    "Page size": "每页条数",
    # login and security
    "Login": "登录",
    "Sign In": "登录",
    "Logout": "退出",
    "User Name": "用户名",
    "Username": "用户名",
    "Password": "密码",
    "Enter your login and password below": "请输入用户名和密码",
    "Invalid login. Please try again.": "用户名或密码错误，请重试。",
    "Profile": "个人信息",
    "User info": "个人信息",
    "Reset my password": "修改密码",
    "Reset Password": "重置密码",
    "List Users": "用户列表",
    "List Roles": "角色列表",
    "Security": "安全",
    "Access is Denied": "访问被拒绝",
    # flash messages
    "Added Row": "新增成功",
    "Changed Row": "修改成功",
    "Deleted Row": "删除成功",
    "Not a valid date value": "不是有效的日期值",
    # WTForms
    "This field is required.": "该字段是必填字段。",
    "Invalid input.": "无效的输入。",
    "Not a valid integer value.": "不是有效的整数。",
    "Not a valid decimal value.": "不是有效的小数。",
    "Not a valid date value.": "不是有效的日期值。",
    "Not a valid choice.": "不是有效的选项。",
    "Field must be between %(min)d and %(max)d characters long.": (
        "字段长度必须介于 %(min)d 到 %(max)d 个字符之间。"
    ),
    "Field cannot be longer than %(max)d character.": "字段长度不能超过 %(max)d 个字符。",
    "Number must be at least %(min)s.": "数值不能小于 %(min)s。",
}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
    return Path(next(iter(spec.submodule_search_locations)))


def _key(msgid) -> str:
    return msgid[0] if isinstance(msgid, (list, tuple)) else msgid


def _text(message) -> str:
    string = message.string
    return string[0] if isinstance(string, (list, tuple)) else string


def _translated(message) -> bool:
    string = message.string
    if isinstance(string, (list, tuple)):
        return bool(string) and all(string)
    return bool(string)


def _read(path: Path):
    with path.open("rb") as fh:
        return read_po(fh, locale="zh", abort_invalid=True)


@pytest.fixture(scope="module")
def catalog():
    return _read(RUNTIME_PO)


@pytest.fixture(scope="module")
def base():
    return _read(BASE_PO)


@pytest.fixture(scope="module")
def fab_msgids() -> dict[str, str]:
    """msgid -> first location, from the installed flask_appbuilder package."""
    found: dict[str, str] = {}
    for filename, lineno, msgid, _comments, _ctx in extract_from_dir(
        str(_package_dir("flask_appbuilder")),
        FAB_METHOD_MAP,
        FAB_OPTIONS_MAP,
        keywords=FAB_KEYWORDS,
    ):
        key = _key(msgid)
        if key:
            found.setdefault(key, f"flask_appbuilder/{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def wtforms_msgids() -> list[str]:
    pot = _package_dir("wtforms") / "locale" / "wtforms.pot"
    with pot.open("rb") as fh:
        return [_key(m.id) for m in read_po(fh) if m.id]


def test_extraction_sees_fab_python_and_templates(fab_msgids):
    locations = " ".join(fab_msgids.values())
    assert len(fab_msgids) > 100
    assert "templates/appbuilder/" in locations, "Jinja templates were not extracted"
    assert "security/views.py" in locations
    assert "models/sqla/filters.py" in locations


def test_every_fab_msgid_has_chinese(catalog, fab_msgids):
    missing = [
        f"{msgid!r} ({where})"
        for msgid, where in sorted(fab_msgids.items())
        if (m := catalog.get(msgid)) is None or not _translated(m) or m.fuzzy
    ]
    assert not missing, "FAB msgids without Chinese:\n" + "\n".join(missing)


def test_every_wtforms_msgid_has_chinese(catalog, wtforms_msgids):
    assert len(wtforms_msgids) > 30
    missing = [
        msgid
        for msgid in wtforms_msgids
        if (m := catalog.get(msgid)) is None or not _translated(m) or m.fuzzy
    ]
    assert not missing, "WTForms msgids without Chinese:\n" + "\n".join(missing)


@pytest.mark.parametrize("msgid,expected", sorted(EXPECTED.items()))
def test_expected_translation(catalog, msgid, expected):
    message = catalog.get(msgid)
    assert message is not None, f"{msgid!r} is not in the catalog"
    assert _text(message) == expected


def test_no_fuzzy_entries(catalog, base):
    for cat in (catalog, base):
        assert not cat.fuzzy, "catalog header is marked fuzzy"
        fuzzy = [_key(m.id) for m in cat if m.id and m.fuzzy]
        assert not fuzzy, f"fuzzy entries: {fuzzy}"


def test_placeholders_and_plurals_are_consistent(catalog, base):
    for cat in (catalog, base):
        problems = [f"{_key(m.id)!r}: {errs}" for m, errs in cat.check()]
        assert not problems, "\n".join(problems)


def test_header_fits_babel_and_pybabel(catalog):
    assert str(catalog.locale) == "zh"
    assert catalog.num_plurals == 1
    assert catalog.plural_expr == "0"
    assert catalog.charset.lower() == "utf-8"
    assert RUNTIME_PO.parent.parent.name == "zh"  # zh_CN -> zh_Hans_CN -> zh


def test_runtime_catalog_carries_every_base_entry(catalog, base):
    """`scripts/i18n.py update` copies base/zh.po into the runtime catalog."""
    stale = [
        _key(m.id)
        for m in base
        if m.id and ((r := catalog.get(m.id, m.context)) is None or r.string != m.string)
    ]
    assert not stale, (
        "run `python scripts/i18n.py update`; runtime catalog lacks/differs on: " + repr(stale)
    )


def test_translations_are_simplified_chinese(catalog):
    offending = [
        (_key(m.id), _text(m))
        for m in catalog
        if m.id
        and TRADITIONAL_ONLY
        & set("".join(m.string if isinstance(m.string, (list, tuple)) else [m.string]))
    ]
    assert not offending, f"traditional characters in: {offending}"


def test_compiled_catalog_translates(catalog):
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    translations = Translations(fp=buf)
    assert translations.gettext("Add") == "新增"
    assert translations.gettext("Are you sure you want to delete this item?") == (
        "确定要删除这条记录吗？"
    )
    assert (
        translations.ngettext(
            "Field must be at least %(min)d character long.",
            "Field must be at least %(min)d characters long.",
            5,
        )
        % {"min": 5}
        == "字段长度必须至少 5 个字符。"
    )


def test_js_locale_assets_and_init_template():
    static = ROOT / "app" / "static" / "i18n"
    for name in ("bootstrap-datepicker.zh-CN.js", "select2.zh-CN.js", "fab-zh-CN.js"):
        assert (static / name).is_file(), name
    init = (ROOT / "app" / "templates" / "appbuilder" / "init.html").read_text("utf-8")
    for name in ("bootstrap-datepicker.zh-CN.js", "select2.zh-CN.js", "fab-zh-CN.js"):
        assert f"i18n/{name}" in init
    assert '<meta name="renderer" content="webkit">' in init
    assert '<meta http-equiv="X-UA-Compatible" content="IE=edge">' in init
