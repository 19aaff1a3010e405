"""Pure Excel writers: typed rows in, an openpyxl ``Workbook`` out (no ORM, no request).
Both workbooks carry a format version in the file (docs/excel.md).

- ``report``: the analysts' report (Summary, Quarterly, Wide, Chart, About)
- ``template``: the officials' entry template that ``indicators.imports`` reads back
- ``cells``: what both are made of (formats, header and number cells, formula-safe text)

Import from the module itself (``from indicators.exports.report import report_workbook``):
nothing is re-exported here.
"""
