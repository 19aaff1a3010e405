"""The register's tables during a bulk load (PostgreSQL): foreign keys and secondary indexes set
aside, then re-created from their own definitions and checked in one pass.

Every row a register file adds is checked against its foreign keys one by one (a look-up and a
row lock per key: the organization, the type, the certificate, the import) and entered into
every index of its table. For the national register (4 million certificates, 5 million history
entries in 204 files) that was most of the database's time, and it grew with the tables. The
PostgreSQL manual's advice for populating a database ("Remove Indexes", "Remove Foreign Key
Constraints", as ``pg_restore`` does) applies: without them, the rows go in at the speed of the
COPY; re-created at the end, each index is built by one sort and each foreign key is checked by
one join over the whole table, which fails the load if any row refers to nothing.

Only the foreign keys *of* the register's written tables and their non-unique indexes are set
aside: the primary keys and the unique constraints (a certificate's (body, number), a credit
code) stay, since the import looks rows up by them and they refuse duplicates as they come. The
definitions are read from the catalog before dropping (``pg_get_constraintdef``,
``pg_get_indexdef``), so the schema afterwards is the one the migrations built. The DDL holds
its tables' locks until the load's transaction ends: the register's pages wait for it.
"""

from __future__ import annotations

from django.db import connection

TABLES = ("register_organization", "register_certificate", "register_certificatestatus")


def schema(cursor) -> list[tuple[str, str, str]]:
    """(kind, name, definition) of the foreign keys and non-unique indexes of ``TABLES``."""
    cursor.execute(
        "SELECT 'fk', conrelid::regclass::text || ' ' || quote_ident(conname), "
        "pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
        "UNION ALL SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid) "
        "FROM pg_index WHERE indrelid = ANY(%s::regclass[]) "
        "AND NOT indisunique AND NOT indisprimary ORDER BY 1, 2",
        [list(TABLES), list(TABLES)],
    )
    return cursor.fetchall()


def set_aside() -> list[tuple[str, str, str]]:
    """Drop the foreign keys and non-unique indexes of the register's tables (PostgreSQL; on
    another database nothing); returns what :func:`restore` needs to re-create them."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        found = schema(cursor)
        for kind, name, _definition in found:
            if kind == "fk":
                table, constraint = name.split(" ", 1)
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
            else:
                cursor.execute(f"DROP INDEX {name}")
    return found


def restore(found: list[tuple[str, str, str]]) -> None:
    """Re-create what :func:`set_aside` dropped: the indexes first (each by one sort), then the
    foreign keys (each checked by one join; a row referring to nothing fails the load here),
    and refresh the planner's statistics of the tables the load filled."""
    if not found:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '128MB'")
        for kind, _name, definition in found:
            if kind == "index":
                cursor.execute(definition)
        for kind, name, definition in found:
            if kind == "fk":
                table, constraint = name.split(" ", 1)
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {definition}")
        cursor.execute(f"ANALYZE {', '.join(TABLES)}")
