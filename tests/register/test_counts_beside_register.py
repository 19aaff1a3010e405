"""The register beside the counts: the entry form offers it, a submission far from it needs an
explanation (as a large change does), the review page shows it beside the submitted value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from indicators.periods import Quarter
from indicators.services.counts import counts_save
from indicators.services.validation import register_warnings
from regions.models import Membership
from tests.conftest import make_indicator, make_user
from tests.register.conftest import credit_code, csv_bytes, load

R = Membership.Role
CODE = credit_code("620100", 1)
PERIOD = Quarter.last_complete()
# 40 certificates of one holder, valid through the last complete quarter: register 40 and 1
ROWS = [
    [f"QMS-{i}", "机构甲", "ISO 9001", "组织A", CODE, "2015-01-10", "2099-01-09", "有效", ""]
    for i in range(40)
]


@pytest.fixture
def setup(rtree, types, django_user_model):
    make_indicator("certificates", 1)
    make_indicator("organizations", 2)
    load(csv_bytes(ROWS))
    return dict(
        official=make_user(django_user_model, "off", (R.OFFICIAL, rtree["lanzhou"])),
        reviewer=make_user(django_user_model, "rev", (R.REVIEWER, rtree["gansu"])),
        region=rtree["lanzhou"],
    )


def test_register_warnings_beyond_the_share():
    # register 40, share 5 %: 40 × 0.05 = 2 → 42 passes, 43 does not
    assert (
        register_warnings(values={"certificates": 42}, register={"certificates": 40}, share=0.05)
        == []
    )
    (warning,) = register_warnings(
        values={"certificates": 43}, register={"certificates": 40}, share=0.05
    )
    assert (warning.register, warning.value) == (40, 43)
    # a region the register holds nothing for is never warned about
    assert register_warnings(values={"certificates": 43}, register={"certificates": None}) == []


def test_submitting_far_from_the_register_needs_an_explanation(setup):
    args = dict(user=setup["official"], region=setup["region"], period=PERIOD, expected_versions={})
    with pytest.raises(ValidationError) as exc:
        counts_save(**args, values={"certificates": "50", "organizations": "1"}, submit=True)
    # 50 against 40: +10 > 2 (5 % of 40)
    assert "certificate register (40)" in " ".join(exc.value.message_dict["explanation"])
    # a draft is not held to it, and an explanation lets it through
    counts_save(**args, values={"certificates": "50", "organizations": "1"})
    counts_save(
        user=setup["official"], region=setup["region"], period=PERIOD,
        values={"certificates": "50", "organizations": "1"},
        expected_versions={"certificates": 1, "organizations": 1},
        explanation="十张证书尚未录入登记册", submit=True,
    )  # fmt: skip


def test_the_entry_form_offers_the_register_values(client, setup):
    client.force_login(setup["official"])
    url = reverse("indicators:entry")
    page = client.get(url, {"region": "620100", "period": str(PERIOD)}).content.decode()
    assert "register" in page.lower() and "fill=register" in page
    filled = client.get(url, {"region": "620100", "period": str(PERIOD), "fill": "register"})
    form = filled.context["form"]
    assert form.initial["value_certificates"] == 40 and form.initial["value_organizations"] == 1


def test_the_review_page_shows_the_register_beside_the_submitted_value(client, setup):
    counts_save(
        user=setup["official"], region=setup["region"], period=PERIOD,
        values={"certificates": "41", "organizations": "1"}, expected_versions={}, submit=True,
    )  # fmt: skip
    client.force_login(setup["reviewer"])
    response = client.get(reverse("indicators:review", args=["620100", str(PERIOD)]))
    figures = response.context["register"]
    # submitted 41 − register 40 = +1
    assert figures["certificates"] == {"value": 40, "difference": 1}
    assert "register-value" in response.content.decode()
