"""Word layout of the brief as a Chinese official document uses it (GB/T 9704-2012, DOMAIN.md):
A4 with the standard margins, the title in 小标宋, body in 仿宋 (3号), level-1 headings in 黑体,
level-2 in 楷体, page numbers ("— 1 —") at the foot, tables of editable text.

Pure python-docx: no ORM, no request; exports/brief.py writes the content through these helpers.

Fonts are *named* as the document standard names them, on the East Asian slot of each style
(``w:rFonts w:eastAsia``) with Times New Roman for Latin letters and digits; theme fonts are
removed so that the names take effect. Where a font is absent, Word and LibreOffice substitute:
the document's font table lists each Chinese font with its usual alternative names
(仿宋 → FangSong / 仿宋_GB2312, 黑体 → SimHei, …) and the GB2312 character set, so the
substitute is a Chinese font of the same kind, and the text stays editable either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

LATIN = "Times New Roman"
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋"
FONT_H1 = "黑体"
FONT_H2 = "楷体"
FONT_PAGE = "宋体"
# (name, alternative names, panose family): written into the font table for substitution.
FONT_TABLE = (
    (FONT_TITLE, "方正小标宋_GBK,宋体,SimSun", "roman"),
    (FONT_BODY, "FangSong,仿宋_GB2312,FangSong_GB2312", "modern"),
    (FONT_H1, "SimHei", "modern"),
    (FONT_H2, "KaiTi,楷体_GB2312,KaiTi_GB2312", "modern"),
    (FONT_PAGE, "SimSun", "auto"),
)

# Sizes by the Chinese names of point sizes: 2号 22 pt, 3号 16 pt, 4号 14 pt, 5号 10.5 pt.
SIZE_TITLE, SIZE_BODY, SIZE_PAGE, SIZE_TABLE, SIZE_SMALL = 22, 16, 14, 10.5, 9
TABLE_STYLE = "Brief Table Text"
NOTE_STYLE = "Brief Note"

# GB/T 9704: top 37 mm, bottom 35 mm, left (binding) 28 mm, right 26 mm.
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}


def set_fonts(font_parent, *, east_asia: str, latin: str = LATIN) -> None:
    """Name the fonts of a style or run: ``east_asia`` for Chinese, ``latin`` for the rest.
    Theme font attributes (which would override the names) are removed."""
    rpr = font_parent.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _set_language(style, *, east_asia: str = "zh-CN", latin: str = "en-GB") -> None:
    rpr = style.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), latin)
    lang.set(qn("w:eastAsia"), east_asia)


def _style(doc, name, *, east_asia, size, bold=False, base=None, centred=False):
    styles = doc.styles
    try:
        style = styles[name]
    except KeyError:
        from docx.enum.style import WD_STYLE_TYPE

        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base or "Normal"]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(style, east_asia=east_asia)
    fmt = style.paragraph_format
    if centred:
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return style


def _font_table(doc) -> None:
    """Add the Chinese fonts to the font table with their alternative names (substitution)."""
    part = next(
        p for p in doc.part.package.iter_parts() if str(p.partname).endswith("fontTable.xml")
    )
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
        for name, alt, family in FONT_TABLE
    )
    blob = part.blob.decode("utf-8")
    part._blob = blob.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def _field(paragraph, instruction: str, placeholder: str = "1") -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) in ``paragraph``: updated by Word when shown."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run._r.append(begin)
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    run = paragraph.add_run()
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run._r.append(sep)
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def new_document(*, title: str, author: str, language: str):
    """An empty A4 brief: margins, styles with the official fonts, page numbers at the foot."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(20)

    normal = _style(doc, "Normal", east_asia=FONT_BODY, size=SIZE_BODY)
    _set_language(normal)
    body = normal.paragraph_format
    body.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    body.line_spacing = Pt(28)  # 22 lines to the page
    body.space_after = Pt(0)
    body.first_line_indent = Pt(SIZE_BODY * 2)  # two characters
    _style(doc, "Title", east_asia=FONT_TITLE, size=SIZE_TITLE, centred=True)
    title_fmt = doc.styles["Title"].paragraph_format
    title_fmt.first_line_indent = Pt(0)
    title_fmt.line_spacing = Pt(36)
    title_fmt.space_after = Pt(12)
    _drop_border(doc.styles["Title"])
    for name, font in (("Heading 1", FONT_H1), ("Heading 2", FONT_H2)):
        style = _style(doc, name, east_asia=font, size=SIZE_BODY)
        fmt = style.paragraph_format
        fmt.first_line_indent = Pt(SIZE_BODY * 2)
        fmt.space_before, fmt.space_after = Pt(6), Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(28)
        fmt.keep_with_next = True
    table = _style(doc, TABLE_STYLE, east_asia=FONT_BODY, size=SIZE_TABLE)
    fmt = table.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(1)
    note = _style(doc, NOTE_STYLE, east_asia=FONT_BODY, size=SIZE_TABLE)
    note.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    note.paragraph_format.first_line_indent = Pt(0)
    note.paragraph_format.space_after = Pt(6)
    caption = _style(doc, "Caption", east_asia=FONT_BODY, size=SIZE_TABLE, centred=True)
    caption.paragraph_format.first_line_indent = Pt(0)
    caption.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    caption.paragraph_format.space_after = Pt(8)
    _font_table(doc)

    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    set_fonts(doc.styles["Footer"], east_asia=FONT_PAGE)
    doc.styles["Footer"].font.size = Pt(SIZE_PAGE)
    footer.add_run("— ")
    _field(footer, "PAGE")
    footer.add_run(" —")

    props = doc.core_properties
    props.title, props.author, props.language = title, author, language
    props.subject, props.comments = title, ""
    return doc


def _drop_border(style) -> None:
    """The default Title style has a bottom border; an official title has none."""
    ppr = style.element.get_or_add_pPr()
    border = ppr.find(qn("w:pBdr"))
    if border is not None:
        ppr.remove(border)


def add_paragraph(doc, text: str = "", *, style: str | None = None, bold_lead: str = ""):
    """A body paragraph; ``bold_lead`` is a lead-in in bold (e.g. a label before the text)."""
    paragraph = doc.add_paragraph(style=style)
    if bold_lead:
        paragraph.add_run(bold_lead).bold = True
    if text:
        paragraph.add_run(text)
    return paragraph


def add_centred(doc, text: str, *, size: float | None = None, colour: str | None = None):
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    run = paragraph.add_run(text)
    if size:
        run.font.size = Pt(size)
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    return paragraph


def add_table(
    doc,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    widths_mm: Sequence[float] | None = None,
):
    """A grid table of text cells (editable in Word), the header row repeated on each page;
    the ``numeric`` columns right-aligned."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]
    trpr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    # The style's id, looked up once: python-docx looks a style name up in every style.
    style_id = doc.styles[TABLE_STYLE].style_id
    for cell, text in zip(head.cells, header, strict=True):
        _cell_text(cell, text, style_id, bold=True, centred=True)
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            _cell_text(cell, text, style_id, right=i in numeric)
    if widths_mm:
        table.autofit = False
        for column, width in zip(table.columns, widths_mm, strict=False):
            column.width = Mm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths_mm, strict=False):
                cell.width = Mm(width)
    return table


def _cell_text(cell, text: str, style_id: str, *, bold=False, centred=False, right=False) -> None:
    lines = str(text).split("\n")
    paragraph = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            paragraph = cell.add_paragraph()
        paragraph._p.style = style_id
        if centred:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = paragraph.add_run(line)
        run.bold = bold or None


def add_picture(doc, png: bytes, *, width_mm: float, caption: str):
    """A centred image with its caption below (the caption is text, not part of the image)."""
    import io

    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.keep_with_next = True
    paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
    cap = doc.add_paragraph(caption, style="Caption")
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap.paragraph_format.first_line_indent = Pt(0)
    return paragraph
