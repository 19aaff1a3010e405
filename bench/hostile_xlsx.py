"""Hostile .xlsx packages built in memory (never committed as binaries), for the import's tests
(tests/excel/test_import_limits.py) and bench/import_bomb.py. Each part is written by hand."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Counts" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER = ("region", "period", "certificates", "organizations", "explanation")


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    cells = "".join(text_cell(f"{chr(65 + i)}1", key) for i, key in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def data_row(number: int, region: str, period: str, certs="", orgs="", extra="") -> str:
    cells = text_cell(f"A{number}", region) + text_cell(f"B{number}", period)
    for column, value in (("C", certs), ("D", orgs)):
        if value != "":
            cells += f'<c r="{column}{number}"><v>{value}</v></c>'
    return f'<row r="{number}">{cells}{extra}</row>'


def sheet(*rows: str, dimension: str = "", head: str = SHEET_HEAD) -> list[str]:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return [head, dim, "<sheetData>", header_row(), *rows, "</sheetData></worksheet>"]


def package(
    sheet_xml: Iterable[str],
    *,
    workbook: str = WORKBOOK,
    shared_strings: str | None = None,
    extra_parts: dict[str, str] | None = None,
) -> bytes:
    """An .xlsx with one sheet whose XML is ``sheet_xml`` (streamed in, so it may be huge)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
        for name, text in (extra_parts or {}).items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for chunk in sheet_xml:
                part.write(chunk.encode())
    return buffer.getvalue()


def repeated(text: str, times: int, batch: int = 10_000) -> Iterable[str]:
    """``text`` ``times`` times, in chunks (a file of millions of cells without a huge string)."""
    while times > 0:
        n = min(batch, times)
        yield text * n
        times -= n


# The worst files, by name: bench/import_bomb.py measures them, tests check each is refused.
def cell_at_row_100_million() -> bytes:
    return package(sheet('<row r="100000000"><c r="A100000000"><v>1</v></c></row>'))


def one_row_of_a_million_cells() -> bytes:
    return package(
        [
            SHEET_HEAD,
            "<sheetData>",
            header_row(),
            '<row r="2">',
            *repeated("<c><v>1</v></c>", 1_000_000),
            "</row></sheetData></worksheet>",
        ]
    )


def one_row_of_a_million_empty_cells() -> bytes:
    return package(
        [
            SHEET_HEAD,
            "<sheetData>",
            header_row(),
            '<row r="2">',
            *repeated('<c s="1"/>', 1_000_000),
            "</row></sheetData></worksheet>",
        ]
    )


def a_million_empty_rows() -> bytes:
    rows = repeated("<row/>", 1_000_000)
    return package([SHEET_HEAD, "<sheetData>", header_row(), *rows, "</sheetData></worksheet>"])


def huge_declared_dimension() -> bytes:
    return package(sheet(dimension="A1:XFD1048576"))


def one_huge_text_cell(megabytes: int = 12) -> bytes:
    return package(
        [
            SHEET_HEAD,
            "<sheetData>",
            header_row(),
            '<row r="2"><c r="E2" t="inlineStr"><is><t>',
            *repeated("x" * 1024, megabytes * 1024, batch=1024),
            "</t></is></c></row>",
            "</sheetData></worksheet>",
        ]
    )


def full_sheet(regions: list[str], period: str = "2020Q3", columns: int = 30) -> bytes:
    """The largest sheet accepted: one row per region (5,000 at most), ``columns`` columns."""
    filler = "".join(f"<c><v>{i}</v></c>" for i in range(columns - 5))

    def rows():
        for number, code in enumerate(regions, start=2):
            yield data_row(
                number,
                code,
                period,
                100 + number % 50,
                40,
                extra=(text_cell(f"E{number}", "ok") + filler),
            )

    return package([SHEET_HEAD, "<sheetData>", header_row(), *rows(), "</sheetData></worksheet>"])
