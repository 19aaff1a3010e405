"""The JSON/CSV records: one set of rows, two formats (docs/api.md); no database."""

import csv
import io

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
