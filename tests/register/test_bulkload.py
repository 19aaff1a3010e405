"""A bulk load of the register (register.stocks.register_stocks_deferred) on PostgreSQL sets the
tables' foreign keys and secondary indexes aside (register.bulkload) and puts back exactly what
the migrations built, checking every row against the foreign keys at its end."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from register import bulkload
from register.models import Certificate, RegisterStock
from register.stocks import register_stocks_deferred
from tests.register.conftest import credit_code, csv_bytes, load

A = credit_code("620100", 1)
ROWS = [
    ["QMS-1", "机构甲", "ISO 9001", "组织A", A, "2022-01-10", "2025-01-09", "有效", ""],
    ["CCC-1", "机构乙", "CCC", "组织A", A, "2021-05-01", "2026-04-30", "暂停", "2023-08-01"],
]


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("the tables are set aside on PostgreSQL only")


def _schema():
    with connection.cursor() as cursor:
        return bulkload.schema(cursor)


def test_a_bulk_load_puts_back_the_foreign_keys_and_indexes_it_set_aside(postgresql, types, rtree):
    before = _schema()
    kinds = {kind for kind, _name, _definition in before}
    assert kinds == {"fk", "index"}
    with transaction.atomic(), register_stocks_deferred():
        assert _schema() == []  # none while the rows go in
        load(csv_bytes(ROWS))
    assert _schema() == before
    assert Certificate.objects.count() == 2
    assert RegisterStock.objects.exists()  # the cells rebuilt after the tables were restored


def test_a_bulk_load_with_a_row_referring_to_nothing_fails_at_its_end(postgresql, types, rtree):
    before = _schema()
    with pytest.raises(IntegrityError), transaction.atomic(), register_stocks_deferred():
        load(csv_bytes(ROWS))
        with connection.cursor() as cursor:  # no organization has this id
            cursor.execute("UPDATE register_certificate SET holder_id = -1 WHERE number = 'QMS-1'")
    assert not Certificate.objects.exists()  # the whole load rolled back
    assert _schema() == before


def test_elsewhere_nothing_is_set_aside(db):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite keeps its tables as they are")
    assert bulkload.set_aside() == []
