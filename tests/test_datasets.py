"""The JSON/CSV records: one set of rows, two formats (docs/api.md); no database."""

import csv
import io

import pytest

from indicators.datasets import Dataset
from indicators.periods import Quarter
from indicators.selectors.dashboards import SeriesPoint
from indicators.tables import minor_quarters

Q = Quarter.parse


def test_csv_has_a_bom_a_header_and_the_same_rows_as_json():
    data = Dataset(
        "series",
        ["quarter", "value", "complete", "name"],
        [
            {"quarter": "2020Q4", "value": 11180, "complete": True, "name": "甘肃省"},
            {"quarter": "2021Q1", "value": None, "complete": False, "name": "兰州新区"},
        ],
        {"as_of": "2021Q1", "values": "submitted"},
    )
    text = data.as_csv()
    assert text.startswith("\ufeff")
    assert text.splitlines()[0] == "\ufeffquarter,value,complete,name"
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert rows == [
        {"quarter": "2020Q4", "value": "11180", "complete": "true", "name": "甘肃省"},
        {"quarter": "2021Q1", "value": "", "complete": "false", "name": "兰州新区"},
    ]
    body = data.as_json()
    assert body["meta"] == {"dataset": "series", "as_of": "2021Q1", "values": "submitted"}
    assert body["columns"] == ["quarter", "value", "complete", "name"]
    assert body["rows"][1]["value"] is None


def test_printed_series_table_keeps_year_ends_recent_and_due_quarters():
    def point(q, measured=True, targets=()):
        return SeriesPoint(Q(q), object() if measured else None, None, None, list(targets))

    points = [point(str(q)) for q in [Q("2019Q1") + i for i in range(8)]]  # 2019Q1..2020Q4
    points += [point("2021Q1", False), point("2021Q2", False, targets=["t"])]
    minor = minor_quarters(points)
    # Kept: the Q4s, the last four measured (2020Q1..Q4), and 2021Q2 with a target due.
    assert minor == {Q("2019Q1"), Q("2019Q2"), Q("2019Q3"), Q("2021Q1")}


# --- formula-safe CSV (issue 12.5) -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://example.invalid/","click")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "=cmd|' /C calc'!A0",
    ],
)
def test_csv_neutralises_text_a_spreadsheet_would_run(text):
    data = Dataset("children", ["region_name", "value"], [{"region_name": text, "value": 5}], {})
    rows = list(csv.DictReader(io.StringIO(data.as_csv()[1:])))
    assert rows[0]["region_name"] == "'" + text
    assert rows[0]["value"] == "5"


def test_csv_keeps_numbers_numbers_and_harmless_text_as_is():
    data = Dataset(
        "series",
        ["name", "value", "change", "share"],
        [{"name": "甘肃省 = 14 市州", "value": 12781, "change": -120, "share": -0.05}],
        {},
    )
    rows = list(csv.DictReader(io.StringIO(data.as_csv()[1:])))
    assert rows == [
        {"name": "甘肃省 = 14 市州", "value": "12781", "change": "-120", "share": "-0.05"}
    ]
