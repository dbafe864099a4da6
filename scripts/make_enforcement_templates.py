"""Writes the 稽查执法 文书 templates of schema/modules/enforcement.yaml into
schema/modules/documents/: 立案审批表, 行政处罚决定书 and 当场行政处罚决定书, Word documents
with docxtpl tags (docs/schema.md "documents"). Run once after changing the wording; the
.docx files are committed.

    .venv/bin/python scripts/make_enforcement_templates.py
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

HERE = Path(__file__).resolve().parent.parent / "schema" / "modules" / "documents"
AUTHORITY = "宁夏回族自治区药品监督管理局"


def _heading(doc: object, text: str, size: int) -> None:
    paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(size)


def _document(title: str) -> object:
    doc = Document()
    _heading(doc, AUTHORITY, 16)
    _heading(doc, title, 20)
    number = doc.add_paragraph("{{ number }}")
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return doc


def _lines(doc: object, rows: list[str]) -> None:
    for row in rows:
        doc.add_paragraph(row)  # type: ignore[attr-defined]


def _signature(doc: object) -> None:
    for text in ("{{ org }}", "{{ today }}"):
        paragraph = doc.add_paragraph(text)  # type: ignore[attr-defined]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def filing() -> object:
    doc = _document("立案审批表")
    _lines(doc, ["案件编号：{{ case_no }}", "案由：{{ title }}", "案件来源：{{ source }}",
                 "线索编号：{{ clue_no }}", "当事人：{{ enterprise }}",
                 "统一社会信用代码：{{ uscc }}", "发现线索日期：{{ found_on }}",
                 "案情摘要：{{ facts }}", "承办人：{{ handler }}　协办人：{{ co_handler }}",
                 "办理状态：{{ state }}", "审批记录：{{ log }}"])
    _signature(doc)
    return doc


def decision() -> object:
    doc = _document("行政处罚决定书")
    _lines(doc, ["当事人：{{ enterprise }}", "统一社会信用代码：{{ uscc }}",
                 "案由：{{ title }}（案件编号：{{ case_no }}）",
                 "违法事实：{{ facts }}", "调查情况：{{ investigation }}",
                 "处罚依据：{{ basis }}", "处罚内容：{{ penalty }}",
                 "罚款金额：{{ fine }}元　没收违法所得：{{ confiscated }}元",
                 "当事人应当自收到本决定书之日起十五日内缴纳罚款。如不服本处罚决定，可以在收到本"
                 "决定书之日起六十日内申请行政复议，或者在六个月内依法提起行政诉讼。"])
    doc.add_paragraph("查封扣押物品：")  # type: ignore[attr-defined]
    table = doc.add_table(rows=4, cols=5)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("措施", "物品名称", "数量", "地点", "日期"),
                          strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for l in seizures %}"
    for cell, text in zip(table.rows[2].cells, ("{{ l.measure }}", "{{ l.item }}",
                                                 "{{ l.quantity }}", "{{ l.place }}",
                                                 "{{ l.seized_on }}"), strict=True):
        cell.text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"
    _signature(doc)
    return doc


def on_spot() -> object:
    doc = _document("当场行政处罚决定书")
    _lines(doc, ["案件编号：{{ case_no }}", "当事人：{{ enterprise }}",
                 "统一社会信用代码：{{ uscc }}", "检查地点：{{ place }}",
                 "违法事实：{{ facts }}", "处罚依据：{{ basis }}",
                 "处罚种类：{{ penalty }}　罚款金额：{{ fine }}元",
                 "执法人员：{{ handler }}、{{ co_handler }}",
                 "如不服本处罚决定，可以在收到本决定书之日起六十日内申请行政复议，或者在六个月内"
                 "依法提起行政诉讼。"])
    _signature(doc)
    return doc


def main() -> None:
    for name, make in (("case_filing", filing), ("case_decision", decision),
                       ("simple_decision", on_spot)):
        make().save(str(HERE / f"{name}.docx"))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
