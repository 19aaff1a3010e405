"""The Word brief (indicators/exports/brief*.py, selectors/brief.py): content and numbers read
back with python-docx, Word structure (styles, fonts, A4, page numbers), both languages, a region
with partial data and one with none. Expected numbers are computed by hand in the docstrings."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from docx import Document
from docx.oxml.ns import qn

from indicators.exports.brief import brief_document, brief_filename
from indicators.exports.brief_chart import ChartLabels, cjk_font, series_chart_png
from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.brief import brief_data
from indicators.selectors.values import Inclusion
from tests.conftest import make_count, make_plan, make_target

AS_OF = Quarter(2024, 4)
ISSUED = dt.date(2024, 12, 20)
S = QuarterlyCount.Status


@pytest.fixture
def brief_tree(tree, certs, orgs):
    """Province 990000 with divisions A, B, C (and the zone A新区 under A).

    2023Q4: A 100, B 200, C 50 → 350 (the plan is issued 2023-10-01: the baseline).
    2024Q4: A 120, B 210, C 70 → 400; the zone 30 (a part of A, never added).
    Year on year 400 / 350 − 1 = 14.2857… → 14.29 %. Shares at 2024Q4: A 30.00 %, B 52.50 %,
    C 17.50 %; year on year A +20.00 %, B +5.00 %, C +40.00 %.
    Targets of the province: 380 at 2024Q4 (400 / 380 = 105.263… → 105.26 %, +20, achieved) and
    500 at 2025Q4 (80.00 %, −100; needs ⌈100 / 4⌉ = 25 a quarter; the trend through 350 and 400
    rises 12.5 a quarter → 450.0 at 2025Q4, short). A's own target: 110 at 2024Q4 (109.09 %).
    Organizations (no targets): 2023Q4 40 + 80 + 20 = 140, 2024Q4 50 + 84 + 26 = 160.
    """
    t = tree
    for region, period, value in [
        (t["a"], "2023Q4", 100),
        (t["b"], "2023Q4", 200),
        (t["c"], "2023Q4", 50),
        (t["a"], "2024Q4", 120),
        (t["b"], "2024Q4", 210),
        (t["c"], "2024Q4", 70),
        (t["zone"], "2024Q4", 30),
    ]:
        make_count(region, certs, period, value)
    for region, period, value in [
        (t["a"], "2023Q4", 40),
        (t["b"], "2023Q4", 80),
        (t["c"], "2023Q4", 20),
        (t["a"], "2024Q4", 50),
        (t["b"], "2024Q4", 84),
        (t["c"], "2024Q4", 26),
    ]:
        make_count(region, orgs, period, value)
    plan = make_plan(
        t["province"], issued_on=dt.date(2023, 10, 1), document_number="测试〔2023〕1号"
    )
    make_target(plan, t["province"], certs, "2024Q4", 380)
    make_target(plan, t["province"], certs, "2025Q4", 500)
    make_target(plan, t["a"], certs, "2024Q4", 110)
    return t


def _doc(region, *, include=Inclusion.APPROVED, as_of=AS_OF, lang="zh-hans", font_path=None):
    with translation.override(lang):
        data = brief_data(region=region, as_of=as_of, include=include)
        doc = brief_document(data=data, issuer="测试局", issued_on=ISSUED, font_path=font_path)
        buffer = io.BytesIO()
        doc.save(buffer)
    return Document(io.BytesIO(buffer.getvalue())), data


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def _rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _table(doc, first_header: str):
    return [t for t in doc.tables if t.rows[0].cells[0].text == first_header]


def test_headline_sentence_says_value_change_and_each_target_from_the_numbers(brief_tree):
    doc, _ = _doc(brief_tree["province"])
    text = _text(doc)
    assert doc.paragraphs[0].text == "省质量认证目标进展情况（2024年第四季度）"
    assert "测试局" in doc.paragraphs[1].text and "2024年12月20日" in doc.paragraphs[1].text
    assert "截至2024年12月末，省有效认证证书400张，同比增长14.29%（上年同期350张）。" in text
    # A target whose due quarter has passed: with its due quarter's value, in a paragraph of
    # its own (never beside the current figure); the target ahead with both shares: of the
    # target 80.00 %, of the increase since the 2023Q4 baseline (400 − 350) ÷ (500 − 350)
    # = 50 ÷ 150 = 33.33 % (issue 22.6, 22.7).
    assert "2024年目标（380张）已完成：2024年第四季度末为400张，完成率105.26%，超出20张。" in text
    assert (
        "对照2025年目标（500张），完成率80.00%；自2023年第四季度基期（350张）以来，"
        "已完成所需增量的33.33%，尚差100张（进度正常）。" in text
    )
    paragraphs = [p.text for p in doc.paragraphs]
    (final,) = [p for p in paragraphs if p.startswith("2024年目标")]
    assert "2025年目标" not in final and "截至" not in final
    assert "预计2025年第四季度末约达450张，不足以完成目标。" in text
    assert "完成目标平均每季度需增加25张。" in text
    # No demo data here: no demo notice.
    assert "演示" not in text


def test_targets_table_has_status_percent_gap_forecast_and_pace(brief_tree):
    doc, _ = _doc(brief_tree["province"])
    (table,) = _table(doc, "方案")
    assert _rows(table)[1:] == [
        # increase: (400 − 350) ÷ (380 − 350) = 166.67 %; ÷ (500 − 350) = 33.33 %; the
        # forecast 450.0 rounded half up to a whole number, as on the dashboard.
        ["测试〔2023〕1号", "2024Q4 ≥ 380", "400\n(2024Q4)", "105.26%", "166.67%\n(2023Q4)", "+20", "已完成", "—", "—"],
        ["测试〔2023〕1号", "2025Q4 ≥ 500", "400\n(2024Q4)", "80.00%", "33.33%\n(2023Q4)", "-100", "进度正常", "450", "25"],
    ]  # fmt: skip


def test_divisions_table_has_value_share_yoy_and_the_divisions_own_target(brief_tree):
    doc, _ = _doc(brief_tree["province"])
    tables = _table(doc, "地区")
    assert len(tables) == 2  # one per indicator
    rows = _rows(tables[0])
    assert rows[0] == ["地区", "数值（张）", "占比", "同比", "本地区目标及状态"]
    assert rows[1:] == [
        ["B", "210", "52.50%", "5.00%", "—"],
        # A's own 2024Q4 target has passed: its due quarter's value, never beside 120 alone.
        ["A", "120", "30.00%", "20.00%", "2024Q4 ≥ 110：已完成（2024Q4：120）"],
        ["C", "70", "17.50%", "40.00%", "—"],
        ["省（合计）", "400", "", "", ""],
    ]
    assert _rows(tables[1])[1:] == [
        ["B", "84", "52.50%", "5.00%", "—"],
        ["A", "50", "31.25%", "25.00%", "—"],
        ["C", "26", "16.25%", "30.00%", "—"],
        ["省（合计）", "160", "", "", ""],
    ]
    assert "截至2024年12月末，省通过认证的组织160家，同比增长14.29%（上年同期140家）。" in _text(
        doc
    )


def test_word_structure_a4_fonts_headings_page_numbers_and_charts(brief_tree):
    doc, _ = _doc(brief_tree["province"], font_path=True)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "一、总体情况",
        "二、目标进展",
        "三、各地区情况",
        "四、数据报送情况",
        "五、数据说明",
    ]

    def east_asia(style):
        return style.element.rPr.rFonts.get(qn("w:eastAsia"))

    assert east_asia(doc.styles["Normal"]) == "仿宋"
    assert east_asia(doc.styles["Heading 1"]) == "黑体"
    assert east_asia(doc.styles["Heading 2"]) == "楷体"
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:asciiTheme")) is None
    font_table = next(
        p for p in doc.part.package.iter_parts() if str(p.partname).endswith("fontTable.xml")
    ).blob.decode()
    assert 'w:name="仿宋"' in font_table and "FangSong" in font_table
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer
    assert len(doc.inline_shapes) == 2  # one chart per indicator
    # Editable text: the sentences are runs of text, the tables real tables.
    assert len(doc.tables) >= 3


def test_brief_in_english(brief_tree):
    doc, _ = _doc(brief_tree["province"], lang="en")
    text = _text(doc)
    assert doc.paragraphs[0].text == "省: progress on the quality certification targets (Q4 2024)"
    assert "stood at 400 certificates, up 14.29% on the same quarter a year earlier (350 certificates)." in text  # fmt: skip
    assert "The 2024 target (380 certificates) was achieved: 400 certificates at the end of Q4 2024, 105.26% of it, 20 certificates above." in text  # fmt: skip
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "1. Overall progress"
    assert "Against the 2025 target (500 certificates): 80.00% of the target reached; of the increase required since the Q4 2023 baseline (350 certificates), 33.33% achieved, 100 certificates to go (On track). On the recent trend" in text  # fmt: skip


def test_partial_quarter_gives_the_latest_complete_value_and_what_is_missing(
    brief_tree, certs, orgs
):
    """C's 2024Q4 count is only a draft: 2024Q4 is 120 + 210 = 330, a partial sum. The headline
    falls back to 2023Q4's 350; the 2024Q4 target is pending (C has no full value), shown with
    the latest complete value 350 (350 / 380 = 92.105… → 92.11 %)."""
    QuarterlyCount.objects.filter(region=brief_tree["c"], year=2024).update(status=S.DRAFT)
    from indicators.rollups import rollups_touch

    for indicator in (certs, orgs):
        rollups_touch(region=brief_tree["c"], indicator=indicator, period=AS_OF)
    doc, data = _doc(brief_tree["province"])
    text = _text(doc)
    assert "截至2023年12月末，省有效认证证书350张" in text
    assert "2024年第四季度目前仅有部分地区汇总数330张，不是完整数据。" in text
    assert "尚未报送：C（草稿）。" in text
    assert "2024年目标（380张）待定：2024Q4 数据不完整：C 尚无完整数据。" in text
    assert "最近完整值为350张（2023年第四季度），为目标的92.11%。" in text
    # The reporting section reads the reporting obligations (every unit, as the review queue):
    # the zone A新区 reports on its own and has sent only its certificates (one of two
    # indicators: a draft), so it is named too (issue 22.2); the headline's partial sum lacks
    # only C (the zone is a part of A, never added).
    assert [u.region.code for u in data.not_reported] == ["990171", "990300"]
    assert [u.region.code for u in data.headlines[0].not_reported] == ["990300"]
    assert [u.status for u in data.not_reported] == ["draft", "draft"]
    assert "尚未报送：A新区（草稿）" in text


def test_counts_awaiting_review_are_left_out_of_approved_and_flagged_in_submitted(
    brief_tree, certs, orgs
):
    """B's 2024Q4 count awaits review: approved-only, 2024Q4 lacks B (partial 190); with all
    submitted values it is the full 400, flagged as including figures awaiting review."""
    from indicators.rollups import rollups_touch

    QuarterlyCount.objects.filter(region=brief_tree["b"], year=2024).update(status=S.SUBMITTED)
    for indicator in (certs, orgs):
        rollups_touch(region=brief_tree["b"], indicator=indicator, period=AS_OF)
    approved = _text(_doc(brief_tree["province"])[0])
    assert "仅有部分地区汇总数190张" in approved
    assert "待审核（未计入）：B。" in approved
    assert "待审核、未计入以上数据：B。" in approved
    submitted = _text(_doc(brief_tree["province"], include=Inclusion.SUBMITTED)[0])
    assert "省有效认证证书400张，同比增长14.29%（上年同期350张）（含待审核数据）。" in submitted
    assert "含待审核数据。" in submitted
    assert "待审核、已计入以上数据并作标注：B。" in submitted


def test_region_without_any_data(brief_tree):
    doc, data = _doc(brief_tree["other"])
    text = _text(doc)
    assert "截至2024年第四季度，别省有效认证证书尚无完整数据。" in text
    assert "暂无可绘图的数据。" in text
    assert "没有规划" in text or "尚无方案为本地区设定目标" in text
    assert "2024年第四季度应报送单位1个，已报送0个，其中已审核0个。" in text
    assert "尚未报送：别市（未填报）。" in text
    assert len(doc.inline_shapes) == 0
    assert data.headlines[0].row is None


def test_demo_counts_are_marked_as_demo(brief_tree):
    QuarterlyCount.objects.filter(region=brief_tree["a"]).update(is_demo=True)
    text = _text(_doc(brief_tree["province"])[0])
    assert "【演示数据】" in text and "演示数据：本简报中的数字为系统生成的演示数据" in text


def test_filename_names_region_and_quarter(brief_tree):
    with translation.override("zh-hans"):
        data = brief_data(region=brief_tree["province"], as_of=AS_OF, include=Inclusion.APPROVED)
        assert (
            brief_filename(data=data, today=ISSUED)
            == "CertTrack_简报_省_990000_2024Q4_2024-12-20.docx"
        )


# --- the chart ------------------------------------------------------------------------------

LABELS = ChartLabels("实际值", "待审核", "部分汇总", "目标值", "进度路径", "预测", "张", "年份")
ENGLISH = ChartLabels(
    "Actual", "Awaiting", "Partial", "Target", "Path", "Forecast", "certs", "Year"
)


def test_chart_is_a_png_drawn_with_or_without_a_cjk_font(brief_tree):
    from indicators.selectors.dashboards import region_dashboard

    panel = region_dashboard(region=brief_tree["province"], as_of=AS_OF).panels[0]
    with_font = series_chart_png(points=panel.series, labels=LABELS, fallback=ENGLISH)
    without = series_chart_png(points=panel.series, labels=LABELS, fallback=ENGLISH, font_path=None)
    for png in (with_font, without):
        assert png.startswith(b"\x89PNG")
    assert not LABELS.is_ascii() and ENGLISH.is_ascii()


def test_cjk_font_is_found_where_installed():
    import os

    if not os.path.exists("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"):
        pytest.skip("fonts-wqy-microhei not installed")
    assert cjk_font().endswith("wqy-microhei.ttc")


def test_cjk_font_installed_after_matplotlibs_font_list_is_found(monkeypatch):
    """matplotlib keeps the font list of its first run: a font installed afterwards is found
    by a rescan of the system's font files, not left out until the cache is deleted."""
    import copy
    import os

    from matplotlib import font_manager

    from indicators.exports import brief_chart

    if not os.path.exists("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"):
        pytest.skip("fonts-wqy-microhei not installed")
    stale = copy.copy(font_manager.fontManager)  # as cached before the font was installed
    stale.ttflist = [f for f in font_manager.fontManager.ttflist if "wqy" not in f.fname]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    assert brief_chart._first_cjk(stale) is None or "wqy" not in brief_chart._first_cjk(stale)
    brief_chart._rescanned.cache_clear()
    try:
        assert "wqy" in cjk_font()
    finally:
        brief_chart._rescanned.cache_clear()


def test_brief_chart_line_leaves_a_gap_at_a_quarter_without_a_complete_value():
    import math
    from types import SimpleNamespace as NS

    from indicators.exports.brief_chart import actual_line
    from indicators.selectors.values import RegionValue, Source

    def point(value, complete=True):
        row = RegionValue(
            "990000", "certificates", AS_OF, value, Source.ROLLUP, complete, value, complete, True
        )
        return NS(row=None if value is None else row)

    # 2022Q2 100, 2022Q3 110, 2022Q4 a partial sum 60 (a division's count reopened), 2023Q1
    # 130, then a quarter ahead (no row): the line is 100, 110, gap, 130 and stops there.
    line = actual_line([point(100), point(110), point(60, complete=False), point(130), point(None)])
    assert [x for x, _y in line] == [0, 1, 2, 3]
    assert [y for _x, y in line][:2] == [100, 110] and line[3][1] == 130
    assert math.isnan(line[2][1])
