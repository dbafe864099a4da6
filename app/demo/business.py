"""The demo's business rows, written directly (one transaction with the organisations and
accounts); the state changes that follow go through the workflow engine (app/demo/flows.py).

Each block of rows is written while `g.user` is the person who would have written it, so the
audit trail names them (its entries are made when the session flushes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from flask import g
from sqlalchemy import select

from app.context import generated
from app.demo import pdf
from app.demo.data import (
    BASELINE_YEAR,
    BINDINGS,
    ENTERPRISE_INFO,
    INSTITUTIONS,
    OPEN_BATCH,
    OPEN_ITEMS,
    PAST_BATCH,
    PAST_ITEMS,
    PRODUCTS,
    UNIT,
)
from app.hooks.models import Window, beijing_now
from app.workflow.engine import log_line
from generator.spec import FILED_AT


def model(name: str) -> Any:
    return generated().models[name]


@contextlib.contextmanager
def acting(session: Any, user: Any) -> Iterator[None]:
    """Rows added inside are flushed as `user`'s (the audit trail's author)."""
    previous = g.get("user")
    g.user = user
    try:
        yield
        session.flush()
    finally:
        g.user = previous


def spread(key: str, low: int, high: int) -> int:
    """A number in [low, high] that depends only on `key` (the data set is deterministic)."""
    return low + zlib.crc32(key.encode("utf-8")) % (high - low + 1)


def baseline(item: str, unit: str) -> int:
    """2020年采购量 of one institution: the item's size times the institution's."""
    scale = {"ln_hospital1": 10, "ln_hospital2": 6, "sc_hospital1": 9, "sc_hospital2": 5}[unit]
    return spread(item, 60, 480) * scale * 10


def planned(item: str, unit: str) -> tuple[int, str | None]:
    """预采购量 and, when it moves by 8 % or more, the reason given for it."""
    base = baseline(item, unit)
    percent = spread(f"{item}/{unit}", -12, 12)
    value = round(base * (100 + percent) / 1000) * 10
    if percent >= 8:
        return value, "门诊量增加，慢病长期处方患者用药需求上升"
    if percent <= -8:
        return value, "部分患者转用同类中选品种，预计用量下降"
    return value, None


def store(obj: Any, field: str, data: bytes, filename: str) -> None:
    """A file field as a form upload stores it: key, original name, size."""
    key, size = generated().storage.save(io.BytesIO(data), filename)
    setattr(obj, field, key)
    setattr(obj, f"{field}_name", filename)
    setattr(obj, f"{field}_size", size)


def item_code(batch_no: int, index: int) -> str:
    return f"{batch_no}-{index + 1:03d}"


# -- 集采需求报量 ---------------------------------------------------------------------------------
INSTRUCTIONS = (
    "各医疗机构按品规填报{year}年预采购量，以最小制剂单位计；2020年采购量为历史采购数据，"
    "由省级平台导入，不可修改。预采购量较2020年采购量增减超过8%的，请在“增幅降幅说明”中"
    "说明原因。全部品规填写完毕并上传加盖公章的承诺函后方可上报。"
)


def procurement(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    batch_model = model("procurement.Batch")
    item_model = model("procurement.CatalogItem")
    with acting(session, users["lcb"]):
        past = batch_model(name=PAST_BATCH, year=2024, baseline_year=BASELINE_YEAR,
                           instructions=INSTRUCTIONS.format(year=2025))
        current = batch_model(name=OPEN_BATCH, year=2026, baseline_year=BASELINE_YEAR,
                              instructions=INSTRUCTIONS.format(year=2026))
        store(current, "letter_template", letter_template(), "承诺函模板.pdf")
        for batch, number, items in ((past, 10, PAST_ITEMS), (current, 11, OPEN_ITEMS)):
            batch.catalog = [item_model(code=item_code(number, i), name=name, spec=spec, note=note)
                           for i, (name, spec, note) in enumerate(items)]
        session.add_all([past, current])
    windows(session, users, past, current)
    rows = 0
    for province in ("ln", "sc"):
        with acting(session, users[f"{province}_province"]):
            for unit in (u for u in INSTITUTIONS if u.startswith(province)):
                rows += demand_rows(session, orgs[unit], unit, past, 10, PAST_ITEMS,
                                    history_log(users, unit))
                rows += demand_rows(session, orgs[unit], unit, current, 11, OPEN_ITEMS)
    with acting(session, users["ln_hospital2"]):
        letter = model("procurement.CommitmentLetter")(batch=current, org=orgs["ln_hospital2"],
                                                       remark="院长签字并加盖公章")
        store(letter, "letter", commitment_letter(UNIT["ln_hospital2"].name), "承诺函.pdf")
        session.add(letter)
    return {"batches": 2, "catalogue items": len(PAST_ITEMS) + len(OPEN_ITEMS),
            "demand rows": rows, "commitment letters": 1, "reporting windows": 2}


def windows(session: Any, users: dict[str, Any], past: Any, current: Any) -> None:
    """上报时间: the past batch's closed, the open batch's open from yesterday for 30 days."""
    session.flush()  # the batches' ids name the windows' batch
    today = beijing_now().replace(hour=0, minute=0, second=0)
    session.add_all([
        Window(window="procurement", batch=str(past.id), opens_at=dt.datetime(2024, 12, 2, 8),
               closes_at=dt.datetime(2024, 12, 20, 17, 30), is_open=False,
               note="第十批报量已结束"),
        Window(window="procurement", batch=str(current.id),
               opens_at=today - dt.timedelta(days=1),
               closes_at=today + dt.timedelta(days=31, seconds=-60), is_open=True,
               note="第十一批报量，全国统一时间"),
    ])


HISTORY_SUBMITTED = dt.datetime(2024, 12, 10, 9, 30)  # the past batch's 上报, inside its window


def demand_rows(session: Any, org: Any, unit: str, batch: Any, number: int,
                items: tuple[tuple[str, str, str], ...], log: str | None = None) -> int:
    """One Demand row per catalogue item; with `log` the rows are the approved history."""
    demand = model("procurement.Demand")
    for index, (name, spec, note) in enumerate(items):
        code = item_code(number, index)
        row = demand(batch=batch, item_code=code, item_name=name, spec=spec, note=note,
                     baseline=baseline(code, unit), org=org)
        if log is not None:
            row.planned, row.change_note = planned(code, unit)
            row.state, row.review_log = "national_ok", log
            # 填报进度: reported on 10 December 2024, as the log's first step says
            setattr(row, FILED_AT, HISTORY_SUBMITTED)
        session.add(row)
    return len(items)


def history_log(users: dict[str, Any], unit: str) -> str:
    """审核记录 of the past batch: the five steps as they happened in December 2024."""
    flow = generated().spec.entity("procurement.Demand").workflow
    assert flow is not None
    province = unit[:2]
    steps = [("submit", unit, HISTORY_SUBMITTED.day),
             ("county_approve", f"{province}_county", 12),
             ("city_approve", f"{province}_city", 13),
             ("province_approve", f"{province}_province", 16),
             ("national_approve", "lcb", 19)]
    return "\n".join(log_line(flow.transition(key), None, users[who],  # type: ignore[arg-type]
                              dt.datetime(2024, 12, day, 9, 30))
                     for key, who, day in steps)


def letter_template() -> bytes:
    return pdf.letter("承诺函", [
        "我单位已认真阅读《第十一批国家组织药品集中采购需求填报说明》，现就本单位填报的"
        "预采购量郑重承诺如下：",
        "一、所填报数据以本单位历史使用量为基础，结合临床实际需求测算，真实、准确、完整；",
        "二、中选结果执行后，优先使用中选药品，并按约定采购量完成采购；",
        "三、如有虚报、瞒报，本单位愿承担相应责任。",
    ], ["医疗机构（盖章）：________________", "法定代表人（签字）：____________",
        "年    月    日"])


def commitment_letter(institution: str) -> bytes:
    today = beijing_now().date()
    return pdf.letter("承诺函", [
        "我单位已认真阅读《第十一批国家组织药品集中采购需求填报说明》，现就本单位填报的"
        "预采购量郑重承诺如下：",
        "一、所填报数据以本单位历史使用量为基础，结合临床实际需求测算，真实、准确、完整；",
        "二、中选结果执行后，优先使用中选药品，并按约定采购量完成采购；",
        "三、如有虚报、瞒报，本单位愿承担相应责任。",
    ], [f"医疗机构（盖章）：{institution}", "法定代表人（签字）：杨帆",
        f"{today.year}年{today.month}月{today.day}日"])


# -- 基础数据 --------------------------------------------------------------------------------------
def basic(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """The drug catalogue (missing approval numbers only) and the enterprises' information."""
    product = model("basic.Product")
    known = set(session.execute(select(product.approval)).scalars())
    products = 0
    with acting(session, users["nmpa"]):
        for drug in PRODUCTS:
            if drug.approval in known:
                continue
            session.add(product(approval=drug.approval, name=drug.name, dosage_form=drug.form,
                                spec=drug.spec, holder=drug.holder, imported=drug.imported,
                                approved_on=drug.approved_on))
            products += 1
    info = model("basic.EnterpriseInfo")
    have = set(session.execute(select(info.org_id)).scalars())
    infos = 0
    legal = {"ln_maker": "ln_legal", "ln_importer": "ln_import", "sc_importer": "sc_import",
             "nx_maker": "nx_maker", "nx_wholesale": "nx_wholesale", "nx_pharmacy": "nx_pharmacy"}
    for unit, (kind, person, contact, mobile, address) in ENTERPRISE_INFO.items():
        if orgs[unit].id in have:
            continue
        with acting(session, users[legal[unit]]):
            session.add(info(name=UNIT[unit].name, uscc=UNIT[unit].code, kind=kind,
                             legal_person=person, contact=contact, mobile=mobile,
                             address=address, org=orgs[unit]))
        infos += 1
    return {"products": products, "enterprise information": infos}


def products_by_approval(session: Any) -> dict[str, Any]:
    product = model("basic.Product")
    return {p.approval: p for p in session.execute(select(product)).scalars()}


# -- 产品绑定 -------------------------------------------------------------------------------------
def bindings(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    binding = model("binding.ProductBinding")
    products = products_by_approval(session)
    count = 0
    for unit, approvals in BINDINGS.items():
        with acting(session, users[f"{unit[:2]}_import"]):
            for number, approval in enumerate(approvals, start=1):
                remark = f"境外持有人授权书 {unit[:2].upper()}-2025-{number:03d}"
                session.add(binding(product=products[approval], org=orgs[unit], remark=remark))
                count += 1
    return {"product bindings": count}


# -- 年度报告 -------------------------------------------------------------------------------------
def annual_reports(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    report = model("annual_report.AnnualReport")
    line = model("annual_report.AnnualReportProduct")
    products = products_by_approval(session)
    made = 0
    with acting(session, users["ln_legal"]):
        for year, complete in ((2024, True), (2025, False)):
            session.add(report(
                year=year, title=f"辽宁康瑞制药有限公司{year}年度药品年度报告",
                production=f"{year}年生产片剂 3 个品种、注射剂 1 个品种，产量与上年基本持平。",
                quality="质量管理体系运行正常，年度内未发生严重质量事件。" if complete else None,
                pharmacovigilance="按要求开展药品不良反应监测，年度内上报一般不良反应 12 例。"
                if complete else None,
                contact="吴敏", mobile="13904001201", org=orgs["ln_maker"]))
            made += 1
    lines = {"ln_importer": (("国药准字HJ20150001", 120000, 118500),
                             ("国药准字HJ20150002", 86000, 60200)),
             "sc_importer": (("国药准字HJ20180005", 54000, 52800),
                             ("国药准字HJ20190006", 23000, 22650))}
    for unit, rows in lines.items():
        account = f"{unit[:2]}_import"
        with acting(session, users[account]):
            session.add(report(
                year=2025, title=f"{UNIT[unit].name}2025年度药品年度报告（境内代理人）",
                production="代理进口药品均按批签发进口，年度内无停止进口情形。",
                quality="进口药品均经口岸检验合格，储运全程冷链或常温合规。",
                pharmacovigilance="收集并报告境内不良反应，按期向境外持有人通报。",
                contact=users[account].first_name, mobile=ENTERPRISE_INFO[unit][3],
                org=orgs[unit],
                products=[line(product=products[a], imported_qty=imported, sold_qty=sold)
                          for a, imported, sold in rows]))
            made += 1
    return {"annual reports": made}


# -- 出口药品档案 ---------------------------------------------------------------------------------
def dossiers(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    dossier = model("export_dossier.ExportDossier")
    with acting(session, users["ln_legal"]):
        session.add_all([
            dossier(product_name="阿托伐他汀钙片", approval="国药准字H20203001",
                    dosage_form="tablet", spec="10mg", standard="《中国药典》2020年版二部",
                    destination="巴基斯坦", importer="Indus Health Traders (Pvt) Ltd.",
                    quantity=2400000, amount=Decimal("36.50"), org=orgs["ln_maker"]),
            dossier(product_name="注射用头孢曲松钠", approval="国药准字H20183005",
                    dosage_form="injection", spec="1.0g", standard="《中国药典》2020年版二部",
                    destination="越南", importer="Saigon Pharma Import JSC",
                    quantity=850000, amount=Decimal("142.80"), org=orgs["ln_maker"],
                    remark="年度出口合同已签订"),
        ])
    return {"export dossiers": 2}
