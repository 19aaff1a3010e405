"""No count before its quarter ends, none from the distant past (issue 11.8): the service, the
entry page, the import and the template all apply one rule (``check_period_open``)."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import QuarterlyCount
from indicators.periods import Quarter, last_open_quarter
from indicators.services.counts import counts_save
from indicators.services.validation import check_period_open
from regions.models import Membership
from tests.conftest import PASSWORD, make_user

Role = Membership.Role
NEW = {"certificates": None, "organizations": None}


@pytest.fixture
def official(tree, certs, orgs, django_user_model):
    return make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"]))


def save(official, tree, period, today):
    return counts_save(
        user=official, region=tree["a"], period=period, values={"certificates": 5},
        expected_versions=NEW, today=today,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("today", "period", "open_"),
    [
        (dt.date(2024, 6, 29), Quarter(2024, 2), False),  # the day before the last day
        (dt.date(2024, 6, 30), Quarter(2024, 2), True),  # the last day: the stock is known
        (dt.date(2024, 7, 1), Quarter(2024, 2), True),
        (dt.date(2024, 4, 1), Quarter(2024, 2), False),  # first day of the quarter
        (dt.date(2024, 12, 30), Quarter(2024, 4), False),
        (dt.date(2024, 12, 31), Quarter(2024, 4), True),  # Q4 ends on 31 December
        (dt.date(2024, 3, 31), Quarter(2024, 2), False),  # not begun
        (dt.date(2024, 3, 31), Quarter(2024, 1), True),
    ],
)
def test_a_quarter_opens_on_its_last_day(official, tree, today, period, open_):
    if open_:
        save(official, tree, period, today)
        assert QuarterlyCount.objects.filter(year=period.year, quarter=period.quarter).exists()
    else:
        with pytest.raises(ValidationError) as err:
            save(official, tree, period, today)
        assert err.value.code == "future"
        assert not QuarterlyCount.objects.exists()


def test_last_open_quarter():
    assert last_open_quarter(dt.date(2026, 11, 30)) == Quarter(2026, 3)
    assert last_open_quarter(dt.date(2026, 9, 30)) == Quarter(2026, 3)
    assert last_open_quarter(dt.date(2026, 9, 29)) == Quarter(2026, 2)
    assert last_open_quarter(dt.date(2024, 2, 29)) == Quarter(2023, 4)
    assert last_open_quarter(dt.date(2024, 3, 31)) == Quarter(2024, 1)


@pytest.mark.parametrize("period", [Quarter(2014, 4), Quarter(1999, 1), Quarter(1900, 1)])
def test_quarters_before_the_first_quarter_are_refused_with_a_clear_message(official, tree, period):
    with pytest.raises(ValidationError) as err:
        save(official, tree, period, dt.date(2026, 11, 30))
    assert err.value.code == "too_early"
    assert "2015Q1" in err.value.messages[0] and str(period) in err.value.messages[0]
    assert not QuarterlyCount.objects.exists()


def test_the_first_quarter_is_a_setting(official, tree, settings):
    settings.CERTTRACK = settings.CERTTRACK | {"FIRST_QUARTER": "2020Q1"}
    with pytest.raises(ValidationError):
        check_period_open(Quarter(2019, 4), today=dt.date(2026, 1, 1))
    check_period_open(Quarter(2020, 1), today=dt.date(2026, 1, 1))
    save(official, tree, Quarter(2020, 1), dt.date(2026, 1, 1))
    assert QuarterlyCount.objects.count() == 1


# --- over HTTP: entry page, template, import ---------------------------------------------


@pytest.fixture
def client_official(client, official):
    assert client.login(username="off", password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_entry_page_refuses_a_quarter_before_the_first_with_a_400(client_official):
    for period in ("2014Q4", "1999Q1", "1900Q1"):
        page = client_official.get(
            reverse("indicators:entry"), {"region": "990100", "period": period}
        )
        assert page.status_code == 400
        assert "2015Q1" in page.content.decode()
        data = {"region": "990100", "period": period, "value_certificates": "1",
                "value_organizations": "1", "action": "save"}  # fmt: skip
        assert client_official.post(reverse("indicators:entry"), data).status_code == 400
    assert not QuarterlyCount.objects.exists()


def test_entry_page_does_not_offer_the_current_quarter_before_its_last_day(client_official):
    from django.utils import timezone

    today = timezone.localdate()
    current = Quarter.of_date(today)
    page = client_official.get(
        reverse("indicators:entry"), {"region": "990100", "period": str(current)}
    )
    text = page.content.decode()
    if today < current.end_date:
        assert "has not ended yet" in text and 'name="value_certificates"' not in text
        assert f'<option value="{current}"' not in text
    else:
        assert 'name="value_certificates"' in text


def _template(client, period):
    response = client.get(reverse("indicators:import_template"), {"period": period})
    return response


def test_template_only_for_open_quarters(client_official):
    from django.utils import timezone

    assert _template(client_official, "2014Q4").status_code == 400
    assert _template(client_official, "2015Q1").status_code == 200
    nxt = last_open_quarter(timezone.localdate()) + 1
    response = _template(client_official, str(nxt))
    assert response.status_code == 400 and "error-page" in response.content.decode()


@pytest.mark.parametrize("cell", ["2014Q4", "1900Q1", "next"])
def test_import_refuses_rows_of_quarters_that_may_not_be_entered(client_official, cell):
    from django.utils import timezone

    if cell == "next":
        cell = str(last_open_quarter(timezone.localdate()) + 1)
    response = _template(client_official, "2015Q1")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb["填报 Counts"]
    ws["C2"], ws["D2"], ws["E2"] = cell, 10, 5
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = SimpleUploadedFile("counts.xlsx", buffer.getvalue())
    response = client_official.post(reverse("indicators:import"), {"file": upload})
    assert response.status_code == 400
    text = " ".join(i.message for i in response.context["issues"])
    assert ("2015Q1" in text) or ("has not" in text), text
    assert not QuarterlyCount.objects.exists()


def test_import_page_offers_exactly_the_quarters_that_may_be_entered(client_official):
    import re

    from django.utils import timezone

    page = client_official.get(reverse("indicators:import")).content.decode()
    select = page.split('name="period"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="(\d{4}Q\d)"', select)
    newest = last_open_quarter(timezone.localdate())
    assert offered[0] == str(newest) and offered[-1] == "2015Q1"
    assert len(offered) == newest - Quarter(2015, 1) + 1
