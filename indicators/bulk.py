"""Bulk writes of plain rows, faster than ``QuerySet.bulk_create`` (see :func:`insert_rows`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from operator import attrgetter

from django.db import connection, models


def new_ids(model, count: int) -> list[int] | None:
    """PostgreSQL: ``count`` primary keys drawn from ``model``'s own sequence, for rows that
    :func:`insert_rows` then writes ``with_pk`` (no reading back by natural key: a look-up of
    20,000 keys costs about as much as their COPY). None on other databases."""
    if connection.vendor != "postgresql" or count <= 0:
        return None
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model, rows: Sequence, *, batch: int = 2000, with_pk: bool = False) -> None:
    """Write ``rows`` into ``model``'s table: ``bulk_create`` for plain rows, several times
    faster. PostgreSQL takes them through COPY, other databases ``batch`` rows per INSERT.

    A row is any object with attributes named after the model's fields' ``attname``s (a model
    instance, or a ``SimpleNamespace`` that costs a tenth of one to build); a field it lacks
    takes the field's default. Django's ``bulk_create`` prepares every field of every row through
    the field classes (≈ 2 s of Python for the 40,000 rows of a 10,000-line import, against
    ≈ 0.5 s for the statements themselves). The rows written here (counts, audit events, roll-up
    cells) hold only numbers, text, booleans, ids and timestamps, which the database drivers
    take as they are; only dates and timestamps go through the backend's adapters, once per
    distinct value. Primary keys are not read back: look the rows up by their natural key, or
    give each row its key from :func:`new_ids` and write it ``with_pk``.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    defaults = [f.get_default() for f in fields]
    names = [f.attname for f in fields]
    values = _values_of(names, defaults)
    if connection.vendor == "postgresql" and _copy(model, fields, rows, values):
        return
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        "VALUES "
    )
    # Dates and timestamps go through the backend's adapters, once per distinct value; the
    # other columns' values are passed as they are (only the date columns are looked at).
    dated = [i for i, f in enumerate(fields) if isinstance(f, models.DateField)]  # + DateTime
    adapted: dict[dt.date, object] = {}

    def adapt(value):
        if value not in adapted:
            adapted[value] = (
                connection.ops.adapt_datetimefield_value(value)
                if isinstance(value, dt.datetime)
                else connection.ops.adapt_datefield_value(value)
            )
        return adapted[value]

    per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params or 10**9
    batch = max(1, min(batch, limit // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params = []
            for row in chunk:
                row_values = list(values(row))
                for i in dated:
                    if isinstance(row_values[i], dt.date):
                        row_values[i] = adapt(row_values[i])
                params += row_values
            cursor.execute(sql + ", ".join([per_row] * len(chunk)), params)


def _values_of(names: list[str], defaults: list):
    """A function: row -> its values in the order of ``names`` (a field the row lacks: its
    default). attrgetter reads them in C."""
    get = attrgetter(*names)
    if len(names) == 1:  # attrgetter of one name returns the value, not a tuple

        def get_one(row):
            return (getattr(row, names[0], defaults[0]),)

        return get_one

    def values(row):
        try:
            return get(row)
        except AttributeError:  # a row without some fields: their defaults
            return [getattr(row, n, d) for n, d in zip(names, defaults, strict=True)]

    return values


def _copy(model, fields, rows, values) -> bool:
    """PostgreSQL: the rows through ``COPY … FROM STDIN`` in CSV (about twice as fast as
    multi-row INSERTs, and the CSV is written by the csv module's C code). In CSV an unquoted
    empty field is NULL; the NOT NULL text columns are read with FORCE_NOT_NULL, so an empty
    text stays an empty text. False (nothing written) for a model with a nullable text column,
    where the two could not be told apart."""
    text = [f for f in fields if isinstance(f, models.CharField | models.TextField)]
    if any(f.null for f in text):
        return False
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(map(values, rows))
    buffer.seek(0)
    qn = connection.ops.quote_name
    options = "FORMAT csv"
    if text:
        options += f", FORCE_NOT_NULL ({', '.join(qn(f.column) for f in text)})"
    # copy_expert is psycopg2's own: wrap its errors as Django's (IntegrityError, …) as
    # cursor.execute does.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.copy_expert(
            f"COPY {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"FROM STDIN WITH ({options})",
            buffer,
        )
    return True


def update_rows(model, rows: Sequence, fields: Sequence[str], *, batch: int = 2000) -> None:
    """Set ``fields`` of the stored rows of ``model`` to the values of ``rows`` (objects with
    ``pk`` and the fields' ``attname``s), matched by primary key: ``bulk_update`` for plain
    values, much faster. PostgreSQL takes one array per column in one ``UPDATE … FROM
    unnest(…)`` (``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression per field and
    row: ≈ 16 s of Python and SQL for the 6,000 certificates and status entries a monthly update
    of 10,000 rows changes); other databases use ``bulk_update``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields, batch_size=batch)
        return
    qn = connection.ops.quote_name
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    names = [f"v{i}" for i in range(len(columns))]
    sets = ", ".join(f"{qn(f.column)} = v.{n}" for f, n in zip(columns[1:], names[1:], strict=True))
    sql = (
        f"UPDATE {qn(meta.db_table)} AS t SET {sets} "
        f"FROM unnest({arrays}) AS v({', '.join(names)}) WHERE t.{qn(meta.pk.column)} = v.v0"
    )
    attnames = [f.attname for f in columns]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch * 10):
            chunk = rows[start : start + batch * 10]
            cursor.execute(sql, [[getattr(row, a) for row in chunk] for a in attnames])
