"""parse_count, the one parser of counts (entry form and Excel import): what is a whole number."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from indicators.services.validation import parse_count


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refusal(raw, **kw) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_count(raw, **kw)
    return caught.value.code, " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("1200", 1200),
        (" 1,200 ", 1200),
        ("1,000", 1000),
        ("1，000", 1000),  # full-width comma
        ("12,345", 12345),
        ("1,234,567", 1234567),
        ("１２３４５", 12345),  # full-width digits
        ("１，２３４", 1234),
        ("\u30001200\u3000", 1200),  # ideographic spaces around
        ("007", 7),
        (7, 7),
        (7.0, 7),
        (10**12, 10**12),
    ],
)
def test_whole_numbers_in_digits_are_accepted(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1,5",  # never 15
        "1,00",
        "1000,000",
        "12,34,567",
        ",100",
        "100,",
        "1,,000",
        "1 000",
        "1_000",
        "+5",
        "--5",
        "-+5",
        "−5",  # U+2212 MINUS SIGN is not the minus of a keyboard
        "5-",
        "²",
        "1²",
        "①",
        "٣",  # Arabic-Indic digit
        "५",  # Devanagari digit
        "1e3",
        "1E3",
        "1.0",
        "12.5",
        "0x10",
        "Infinity",
        "NaN",
        "abc",
        "-",
        "9" * 16,
        "9" * 5000,  # int() would refuse it with a ValueError of its own; never reached
        "1" + ",000" * 2000,
        12.5,
        float("nan"),
        float("inf"),
        [1],
    ],
)
def test_anything_else_is_not_a_whole_number(raw):
    code, message = refusal(raw)
    assert code == "invalid"
    assert "is not a whole number" in message


def test_a_single_leading_minus_is_refused_as_negative():
    for raw in ("-5", "-1,000", "－５", "-0", -3, -3.0):
        assert refusal(raw) == ("negative", "A count cannot be negative.")


def test_the_message_names_the_field_or_cell_and_echoes_a_short_input():
    code, message = refusal("1,5", name="D7")
    assert message == "D7: “1,5” is not a whole number."
    _, message = refusal("9" * 5000, name="Valid certificates")
    assert message.startswith("Valid certificates: “99999999999999999999…”")
    assert len(message) < 80
    assert refusal("-4", name="D7")[1] == "D7: a count cannot be negative."


def test_empty_and_implausible_values():
    for raw in ("", "  ", None):
        assert refusal(raw)[0] == "required"
    assert refusal(True) == ("invalid", "“True” is not a whole number.")
    assert refusal(10**12 + 1)[0] == "too_large"
    assert refusal("1" * 15)[0] == "too_large"


# --- parse_whole: the sibling for every other number (versions) -------------------------------


@pytest.mark.parametrize("raw", ["²", "①", "٣", "1_000", "+5", "9" * 5000, "1,,5", "0x10", "1.5"])
def test_parse_whole_refuses_what_int_or_isdigit_would_take(raw):
    from indicators.services.validation import parse_whole

    with pytest.raises(ValidationError) as caught:
        parse_whole(raw, minimum=1, maximum=10)
    assert caught.value.code == "invalid"


@pytest.mark.parametrize(
    ("raw", "code"), [("0", "out_of_range"), ("-1", "out_of_range"), ("11", "out_of_range"),
                      (str(2**63), "invalid"), (" ", "required"), (None, "required")],
)  # fmt: skip
def test_parse_whole_names_its_bounds(raw, code):
    from indicators.services.validation import parse_whole

    with pytest.raises(ValidationError) as caught:
        parse_whole(raw, name="Version", minimum=1, maximum=10)
    assert caught.value.code == code
    if code == "out_of_range":
        assert caught.value.messages == ["Version: enter a whole number from 1 to 10."]


def test_parse_whole_reads_what_parse_count_reads():
    from indicators.services.validation import MAX_VERSION, WholeNumberField, parse_whole

    assert parse_whole("１２", maximum=MAX_VERSION) == 12
    assert parse_whole("2,147,483,647", maximum=MAX_VERSION) == MAX_VERSION
    field = WholeNumberField(required=False, min_value=1, max_value=MAX_VERSION)
    assert field.clean("") is None and field.clean("7") == 7
    with pytest.raises(ValidationError):
        field.clean(str(MAX_VERSION + 1))
