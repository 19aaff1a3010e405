"""A bounded streaming reader of one sheet of an .xlsx workbook (pure; used by imports.py).

Why not openpyxl: even in ``read_only`` mode it walks every row up to the last one (a single
cell at row 100,000,000 costs minutes of CPU) and builds every cell of a row (one row of
millions of cells grows a worker by gigabytes), and it parses the XML with whatever the
interpreter offers. This reader runs expat over the sheet's XML as a stream, in chunks, and:

- refuses a DOCTYPE (and so any entity declaration) in any XML part of the package: nothing is
  ever resolved or expanded; a reference to an undeclared entity is a parse error;
- checks the sheet's declared dimension (``<dimension ref="A1:XFD1048576"/>``) before reading
  a cell, then never materialises an empty row or cell: a row is known by its number only;
- stops at the first cell holding a value beyond ``max_rows`` / ``max_columns``, and after
  ``max_cells`` cell elements of any kind (styled empty cells included);
- keeps at most ``MAX_TEXT`` characters of a cell's text, and reads from the shared strings
  only those the kept cells refer to, stopping after the last one needed;
- opens the package through the one bounded inspector (:mod:`certtrack.zipcheck`): the central
  directory is checked before anything is unpacked (no duplicate names, stored or deflate only,
  declared sizes and ratios within limits) and every part is read through a counting stream
  that stops at ``MAX_PART_BYTES`` per part and ``MAX_TOTAL_BYTES`` in all.

Values come back as Python values: ``int`` or ``float`` for numbers (a numeric text of more
than 30 characters stays ``str``), ``str`` for text, ``bool``, :class:`CellError` for an error
value such as ``#DIV/0!``, :class:`FormulaWithoutValue` for a formula cell saved without its
cached result. Limits are raised as :class:`SheetTooLarge`, anything unreadable as
:class:`WorkbookDamaged`; their messages are for the caller to write.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from xml.parsers import expat

from certtrack.zipcheck import BoundedZip, ZipLimits, ZipRefused, open_zip

MAX_PART_BYTES = 16 * 1024 * 1024  # one XML part once unpacked (a full 5,100 × 60 sheet: ~12 MB)
MAX_PARTS = 2000  # entries in the package (a workbook has tens)
MAX_TOTAL_BYTES = 60 * 1024 * 1024  # every part once unpacked, declared and read
LIMITS = ZipLimits(
    max_members=MAX_PARTS, max_member_bytes=MAX_PART_BYTES, max_total_bytes=MAX_TOTAL_BYTES
)
MAX_TEXT = 4000  # characters kept of one cell's text (the longest column holds 2,000)
MAX_SHARED_STRINGS = 1_000_000  # shared-string items walked at most
CHUNK = 64 * 1024
_NUMBER_TEXT = 30  # a numeric value longer than this is kept as text (and refused later)
_NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$")
_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,10})$")


class WorkbookDamaged(Exception):
    """The package or one of its XML parts cannot be read (or holds a DOCTYPE)."""


class SheetTooLarge(Exception):
    """A limit was reached: ``kind`` is "rows", "columns", "cells", "bytes" (a part),
    "too_large" (all parts) or "ratio" (a part packed too tightly); ``found`` what was seen."""

    def __init__(self, kind: str, found: int):
        self.kind, self.found = kind, found
        super().__init__(f"{kind}: {found}")


@dataclass(frozen=True)
class CellError:
    """An error value of a cell (``#DIV/0!``, ``#N/A``, ``#REF!``, …)."""

    code: str


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell saved without its result (written by a program, never opened in Excel)."""

    formula: str


@dataclass
class Sheet:
    """The cells holding a value, by row number, each row a {column index (0-based): value}."""

    title: str
    rows: list[tuple[int, dict[int, object]]] = field(default_factory=list)
    defined_names: dict[str, str] = field(default_factory=dict)


def column_index(letters: str) -> int:
    """0-based index of a column: A → 0, Z → 25, AA → 26."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _local(name: str) -> str:
    """The name without its prefix (``x:c`` → ``c``): the parts are read without namespace
    processing, which costs a third of the time, and the prefixes vary between programs."""
    return name.rpartition(":")[2] if ":" in name else name


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True  # one call per text node, not one per line or buffer
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args):
        raise WorkbookDamaged("DOCTYPE or entity declaration")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


class _Stop(Exception):
    pass


def _feed(archive: BoundedZip, name: str, parser) -> None:
    """Run ``parser`` over the part ``name`` in chunks; a handler may end it with _Stop."""
    info = archive.info(name)
    if info.file_size > MAX_PART_BYTES:
        raise SheetTooLarge("bytes", info.file_size)
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        return
    except expat.ExpatError as exc:
        raise WorkbookDamaged(f"{name}: {exc}") from None


def _check_prolog(archive: BoundedZip, name: str) -> None:
    """A DOCTYPE can only stand before the root element: read each part up to it."""
    parser = _parser()

    def root(*_args):
        raise _Stop

    parser.StartElementHandler = root
    try:
        with archive.open(name) as stream:
            for _ in range(16):  # the prolog of a real part is a line; 1 MB of it is damage
                chunk = stream.read(CHUNK)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    return
    except _Stop:
        return
    except expat.ExpatError as exc:
        raise WorkbookDamaged(f"{name}: {exc}") from None
    raise WorkbookDamaged(f"{name}: no root element")


def _relationships(archive: BoundedZip, name: str) -> dict[str, tuple[str, str]]:
    """{Id: (type, target path inside the package)} of a .rels part."""
    base = posixpath.dirname(posixpath.dirname(name))  # xl/_rels/workbook.xml.rels -> xl
    found: dict[str, tuple[str, str]] = {}
    parser = _parser()

    def start(tag, attrs):
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(base, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))

    parser.StartElementHandler = start
    _feed(archive, name, parser)
    return found


def _workbook(archive: BoundedZip) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The sheets [(title, relationship id)] and the defined names {name: text}."""
    sheets: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    current: list = []  # [name, text parts] of the defined name being read
    parser = _parser()

    def start(tag, attrs):
        local = _local(tag)
        if local == "sheet":
            rel_id = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            sheets.append((attrs.get("name", ""), rel_id))
        elif local == "definedName" and "localSheetId" not in attrs:
            current[:] = [attrs.get("name", ""), []]

    def end(tag):
        if _local(tag) == "definedName" and current:
            names[current[0]] = "".join(current[1])[:200]
            current.clear()

    def text(data):
        if current and len(current[1]) < 100:
            current[1].append(data)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    _feed(archive, "xl/workbook.xml", parser)
    return sheets, names


def _dimension_limits(ref: str, max_rows: int, max_columns: int) -> None:
    last = ref.split(":")[-1]
    match = _CELL_RE.match(last.strip())
    if not match:
        return  # an odd dimension is only a hint: the cells are checked one by one anyway
    column, row = column_index(match.group(1)) + 1, int(match.group(2))
    if row > max_rows:
        raise SheetTooLarge("rows", row)
    if column > max_columns:
        raise SheetTooLarge("columns", column)


class _SheetReader:
    """Expat handlers over a worksheet part: keeps the cells holding a value, within limits."""

    def __init__(self, max_rows: int, max_columns: int, max_cells: int):
        self.max_rows, self.max_columns, self.max_cells = max_rows, max_columns, max_cells
        self.rows: list[tuple[int, dict[int, object]]] = []
        self.shared: set[int] = set()
        self.cells = 0
        self.row_number = 0
        self.row: dict[int, object] = {}
        self.column = -1
        self.kind = ""
        self.capture: str | None = None  # "v", "t" or "f" while inside one
        self.value: str | None = None  # the current cell's <v>, <f> and <t> texts
        self.formula: str | None = None
        self.texts: list[str] = []
        self.kept = 0  # characters kept of the current cell
        self.in_phonetic = False

    def start(self, tag, attrs):
        if ":" in tag:
            tag = _local(tag)
        if tag == "c":
            self.cells += 1
            if self.cells > self.max_cells:
                raise SheetTooLarge("cells", self.cells)
            ref = attrs.get("r")
            match = _CELL_RE.match(ref) if ref else None
            self.column = column_index(match.group(1)) if match else self.column + 1
            self.kind = attrs.get("t", "n")
            self.value = self.formula = None
            self.texts = []
            self.kept = 0
        elif tag == "v":
            self.capture = "v"
        elif tag == "t":
            if not self.in_phonetic:
                self.capture = "t"
        elif tag == "f":
            self.capture = "f"
        elif tag == "row":
            self._end_row()
            self.cells += 1  # an empty row element costs a little too
            if self.cells > self.max_cells:
                raise SheetTooLarge("cells", self.cells)
            ref = attrs.get("r", "")
            self.row_number = (
                int(ref)
                if ref.isascii() and ref.isdigit() and len(ref) <= 12
                else self.row_number + 1
            )
            self.column = -1
        elif tag == "rPh":
            self.in_phonetic = True  # phonetic guide text is not part of the value
        elif tag == "dimension":
            _dimension_limits(attrs.get("ref", ""), self.max_rows, self.max_columns)
        elif tag == "sheetData":
            self.row_number = 0

    def end(self, tag):
        if ":" in tag:
            tag = _local(tag)
        if tag == "c":
            value = self._value()
            if value is not None and value != "":
                if self.column >= self.max_columns:
                    raise SheetTooLarge("columns", self.column + 1)
                if self.row_number > self.max_rows:
                    raise SheetTooLarge("rows", self.row_number)
                self.row[self.column] = value
        elif tag == self.capture:
            self.capture = None
        elif tag == "rPh":
            self.in_phonetic = False
        elif tag == "sheetData":
            self._end_row()
            raise _Stop  # nothing after the cells matters here

    def data(self, text):
        capture = self.capture
        if capture is None or self.kept >= MAX_TEXT:
            return
        text = text[: MAX_TEXT - self.kept]
        self.kept += len(text)
        if capture == "v":
            self.value = text if self.value is None else self.value + text
        elif capture == "f":
            self.formula = text if self.formula is None else self.formula + text
        else:
            self.texts.append(text)

    def _end_row(self):
        if self.row:
            self.rows.append((self.row_number, self.row))
            self.row = {}

    def _value(self) -> object:
        v = self.value
        kind = self.kind
        if kind == "inlineStr":
            return "".join(self.texts)
        if not v:
            return FormulaWithoutValue(self.formula) if self.formula else None
        if kind == "s":
            v = v.strip()
            if not v.isascii() or not v.isdigit() or len(v) > 9:
                raise WorkbookDamaged(f"shared string index {v[:20]!r}")
            index = int(v)
            self.shared.add(index)
            return _SharedRef(index)
        if kind in ("str", "d"):
            return v
        if kind == "b":
            return v.strip() in ("1", "true")
        if kind == "e":
            return CellError(v.strip()[:20])
        return _number(v)


@dataclass(frozen=True)
class _SharedRef:
    index: int


def _number(text: str) -> object:
    text = text.strip()
    if len(text) > _NUMBER_TEXT:
        return text
    if not _NUMBER_RE.match(text):
        return text  # not a number in a numeric cell (NaN, 1_000): the parser of counts refuses it
    if text.isdigit():
        return int(text)
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _shared_strings(archive: BoundedZip, name: str, wanted: set[int]) -> dict[int, str]:
    """The shared strings of ``wanted`` indices, reading no further than the last of them."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    if last >= MAX_SHARED_STRINGS:
        raise WorkbookDamaged(f"shared string index {last}")
    state = {"index": -1, "depth_rph": 0, "in_t": False, "kept": 0}
    parts: list[str] = []

    def start(tag, attrs):
        local = _local(tag)
        if local == "si":
            state["index"] += 1
            state["kept"] = 0
            parts.clear()
        elif local == "rPh":
            state["depth_rph"] += 1
        elif local == "t" and not state["depth_rph"]:
            state["in_t"] = True

    def end(tag):
        local = _local(tag)
        if local == "si":
            if state["index"] in wanted:
                found[state["index"]] = "".join(parts)
            if state["index"] >= last:
                raise _Stop
        elif local == "rPh":
            state["depth_rph"] -= 1
        elif local == "t":
            state["in_t"] = False

    def data(text):
        if state["in_t"] and state["index"] in wanted and state["kept"] < MAX_TEXT:
            text = text[: MAX_TEXT - state["kept"]]
            state["kept"] += len(text)
            parts.append(text)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = data
    _feed(archive, name, parser)
    missing = wanted - found.keys()
    if missing:
        raise WorkbookDamaged(f"shared string {min(missing)} missing")
    return found


def read_sheet(
    data: bytes,
    *,
    prefer: str,
    max_rows: int,
    max_columns: int,
    max_cells: int,
    limits: ZipLimits = LIMITS,
) -> Sheet:
    """The sheet titled ``prefer`` (else the first) of an .xlsx package, within the limits.

    Raises :class:`WorkbookDamaged` or :class:`SheetTooLarge` (module docstring). ``limits``
    are the package's (the tests loosen the ratio to reach the sheet's own limits).
    """
    try:
        archive = open_zip(data, limits=limits)
    except ZipRefused as exc:
        raise _refused(exc) from None
    with archive:
        try:
            return _read(archive, prefer, max_rows, max_columns, max_cells)
        except ZipRefused as exc:
            # A truncated or corrupt member, a CRC error, a relationship to a missing part, a
            # part unpacking past its limit whatever it declared.
            raise _refused(exc) from None
        except (KeyError, ValueError, RuntimeError, EOFError, OSError) as exc:
            raise WorkbookDamaged(f"{type(exc).__name__}: {exc}") from None


def _refused(exc: ZipRefused) -> Exception:
    if exc.reason in ("too_large", "ratio"):
        return SheetTooLarge(exc.reason, exc.limit)
    return WorkbookDamaged(str(exc))


def _read(archive, prefer, max_rows, max_columns, max_cells) -> Sheet:
    for name in archive.infos:
        if name.endswith((".xml", ".rels")):
            _check_prolog(archive, name)
    sheets, names = _workbook(archive)
    if not sheets:
        raise WorkbookDamaged("no sheet")
    rels = _relationships(archive, "xl/_rels/workbook.xml.rels")
    title, rel_id = next((s for s in sheets if s[0] == prefer), sheets[0])
    if rel_id not in rels:
        raise WorkbookDamaged(f"sheet {title!r} has no part")
    reader = _SheetReader(max_rows, max_columns, max_cells)
    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = reader.start, reader.end
    parser.CharacterDataHandler = reader.data
    _feed(archive, rels[rel_id][1], parser)
    reader._end_row()
    if reader.shared:
        path = next((p for t, p in rels.values() if t.endswith("/sharedStrings")), None)
        if path is None:
            raise WorkbookDamaged("shared strings missing")
        strings = _shared_strings(archive, path, reader.shared)
        for _row_number, row in reader.rows:
            for column, value in row.items():
                if isinstance(value, _SharedRef):
                    row[column] = strings[value.index]
        # A shared string may be empty: such a cell holds no value after all.
        for _row_number, row in reader.rows:
            for column in [c for c, v in row.items() if v == ""]:
                del row[column]
        reader.rows = [(n, row) for n, row in reader.rows if row]
    return Sheet(title=title, rows=reader.rows, defined_names=names)
