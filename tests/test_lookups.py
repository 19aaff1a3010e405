"""certtrack.lookups: ``__any_of`` selects exactly what ``__in`` selects, on both databases."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from regions.models import Region


def test_any_of_selects_what_in_selects(tree):
    ids = [tree["a"].pk, tree["c"].pk, tree["other_city"].pk, 10**9]
    codes = {"990100", "990201", "nope"}
    for lookup, values in (("pk", ids), ("code", codes), ("parent_id", [tree["province"].pk])):
        expected = set(Region.objects.filter(**{f"{lookup}__in": values}))
        assert expected  # the cases select something
        assert set(Region.objects.filter(**{f"{lookup}__any_of": values})) == expected
    assert list(Region.objects.filter(pk__any_of=[])) == []
    assert list(Region.objects.filter(pk__any_of=[None])) == []


def test_any_of_sends_one_parameter_on_postgresql(tree):
    with CaptureQueriesContext(connection) as ctx:
        list(Region.objects.filter(pk__any_of=[tree["a"].pk, tree["b"].pk, tree["c"].pk]))
    sql = ctx.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql
    else:
        assert " IN (" in sql
