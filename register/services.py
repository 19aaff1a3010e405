"""Writes to the certificate register: a parsed register file applied set-wise (organizations,
certificates, status history), recorded in a RegisterImport. Parsing is register/imports.py.

Rules (docs/register.md): a certificate is known by (body, number); a row that states what is
stored changes nothing; a new status adds a history entry from its date (the previous entry is
closed on that day); a full extract of a region flags the certificates of that region it no
longer lists, and deletes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import connection, transaction
from django.utils.translation import gettext as _

from indicators.bulk import insert_rows, new_ids, update_rows
from indicators.pagecache import data_changed
from regions.models import Region
from register.imports import RegisterRow
from register.models import (
    Certificate,
    CertificateStatus,
    CertificationType,
    Organization,
    RegisterImport,
)
from register.stocks import register_stocks_refreshed

BATCH = 2000  # rows per IN (...) look-up and per bulk statement
VALID = Certificate.Status.VALID


@dataclass(frozen=True)
class RowProblem:
    """Why one row of a file cannot be applied (found against what is stored)."""

    row: int
    column: str
    message: str


@dataclass
class ImportSummary:
    """What an import does (at preview) or did: rows added, changed, unchanged, refused, and
    the certificates a full extract no longer lists (flagged)."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    flagged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    status_changes: int = 0
    record: RegisterImport | None = None


@dataclass
class _Plan:
    """What an import writes, as plain rows (a national file holds 20,000 certificates: model
    instances cost several times more to build and to write)."""

    orgs_new: dict[str, SimpleNamespace] = field(default_factory=dict)  # by credit code
    orgs_changed: dict[str, Organization] = field(default_factory=dict)  # by credit code
    certs_new: list[tuple[SimpleNamespace, list[SimpleNamespace]]] = field(default_factory=list)
    certs_changed: list[tuple[Certificate, str]] = field(default_factory=list)  # + holder code
    closes: list[CertificateStatus] = field(default_factory=list)  # previous entries closed
    entries: list[SimpleNamespace] = field(default_factory=list)  # new entries, old certs
    seen: set[int] = field(default_factory=set)  # ids of stored certificates in the file
    paths: set[str] = field(default_factory=set)  # the regions of the file's holders
    # for the stock cells: stored holders whose certificates change, each with the earliest
    # day on which what it holds may differ (quarter ends before it keep their stocks), and
    # their regions
    holders: dict[int, dt.date] = field(default_factory=dict)
    region_ids: set[int] = field(default_factory=set)
    stored_orgs: dict[str, int] = field(default_factory=dict)  # credit code -> id


def _common_region(paths: set[str]) -> Region | None:
    """The smallest region whose subtree holds every path (None for no rows or no common root)."""
    if not paths:
        return None
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for codes in zip(*parts, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return Region.objects.filter(code=common[-1]).first() if common else None


def _changed_from(holders: dict[int, dt.date], pk: int, day: dt.date) -> None:
    """Record that ``pk``'s certificates may count differently from ``day`` on."""
    holders[pk] = min(day, holders.get(pk, day))


def _chunks(items: Sequence, size: int = BATCH) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _entry(status: str, valid_from, valid_to=None) -> SimpleNamespace:
    return SimpleNamespace(status=status, valid_from=valid_from, valid_to=valid_to)


def _first_entries(row: RegisterRow, problems: list[RowProblem]) -> list[SimpleNamespace]:
    """The history of a certificate first seen: valid from its issue date, then the row's
    status from its date (or that status from the issue date, if it is that day)."""
    if row.status == VALID:
        return [_entry(VALID, row.issued_on)]
    date = row.status_date
    if date < row.issued_on:
        problems.append(
            RowProblem(
                row.row,
                row.columns.get("status_date", ""),
                _("The status date is before the issue date."),
            )
        )
        return []
    if date == row.issued_on:
        return [_entry(row.status, date)]
    return [_entry(VALID, row.issued_on, date), _entry(row.status, date)]


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _stored_organizations(codes: list[str]) -> list[tuple]:
    """(pk, credit code, name, region id) of the stored organizations among ``codes``.

    On PostgreSQL in plain SQL with the codes as one array (the ``__any_of`` lookup prepares
    every value through the field first: ≈ 0.2 s of the ≈ 2.2 s of a file of 20,000 rows), each
    code found through the unique index (see ``_BY_INDEX``)."""
    if connection.vendor == "postgresql":
        where = _BY_INDEX.format("o.credit_code = k.code")
        return _fetch(
            "SELECT o.id, o.credit_code, o.name, o.region_id FROM unnest(%s::varchar[]) AS k(code) "
            f"CROSS JOIN LATERAL (SELECT * FROM register_organization o {where}) AS o",
            [codes],
        )
    return list(
        Organization.objects.filter(credit_code__any_of=codes).values_list(
            "pk", "credit_code", "name", "region_id"
        )
    )


# One index probe per key, whatever the size of the table: a key's row in a LATERAL subquery
# (LIMIT 1 keeps it from being flattened into a join). As a plain join, the planner hashed the
# whole table once it grew past a few hundred thousand rows (at 0.25 of national scale: 540 ms
# for 20,000 pairs, against 117 ms by the index), so that each file cost more than the one before.
_BY_INDEX = "WHERE {} LIMIT 1"

_CERT_COLUMNS = (
    "id", "body", "number", "type_id", "holder_id", "issued_on", "expires_on",
    "absent_since_id", "status",
)  # fmt: skip


def _stored_certificates(keys: Sequence[tuple[str, str]]) -> list[tuple]:
    """The stored certificates among ``keys`` ((body, number) pairs): their ``_CERT_COLUMNS``.

    On PostgreSQL the pairs are two arrays, each pair found through the unique (body, number)
    index (``_BY_INDEX``): a look-up by number alone cannot use that index, and read the whole
    table for every file, growing with the register."""
    if connection.vendor == "postgresql":
        columns = ", ".join(f"c.{name}" for name in _CERT_COLUMNS)
        where = _BY_INDEX.format("c.body = k.body AND c.number = k.number")
        return _fetch(
            f"SELECT {columns} FROM unnest(%s::varchar[], %s::varchar[]) AS k(body, number) "
            f"CROSS JOIN LATERAL (SELECT * FROM register_certificate c {where}) AS c",
            [[body for body, _n in keys], [number for _b, number in keys]],
        )
    wanted = set(keys)
    stored = Certificate.objects.filter(
        number__any_of=list({number for _body, number in keys})
    ).values_list("pk", *_CERT_COLUMNS[1:])
    return [row for row in stored if (row[1], row[2]) in wanted]


def _open_entries(certificate_ids: list[int]) -> list[tuple]:
    """(pk, certificate id, status, valid from) of the latest history entry of each."""
    if not certificate_ids:
        return []
    if connection.vendor == "postgresql":
        return _fetch(
            "SELECT id, certificate_id, status, valid_from FROM register_certificatestatus "
            "WHERE certificate_id = ANY(%s::bigint[]) AND valid_to IS NULL",
            [certificate_ids],
        )
    return list(
        CertificateStatus.objects.filter(
            certificate_id__any_of=certificate_ids, valid_to__isnull=True
        ).values_list("pk", "certificate_id", "status", "valid_from")
    )


def _plan(rows: Sequence[RegisterRow], summary: ImportSummary) -> _Plan:
    plan = _Plan()
    types = dict(CertificationType.objects.values_list("code", "pk"))
    paths = dict(
        Region.objects.filter(code__any_of=list({r.region_code for r in rows})).values_list(
            "code", "path"
        )
    )
    regions = dict(Region.objects.filter(code__any_of=list(paths)).values_list("code", "pk"))
    plan.paths = set(paths.values())
    plan.region_ids = set(regions.values())
    # Stored rows as tuples, looked up with one array parameter each (certtrack/lookups.py).
    orgs: dict[str, list] = {  # pk, name, region id: as the rows before have left them
        code: [pk, name, region_id]
        for pk, code, name, region_id in _stored_organizations(list({r.credit_code for r in rows}))
    }
    plan.stored_orgs = {code: org[0] for code, org in orgs.items()}
    certs: dict[tuple[str, str], tuple] = {
        (body, number): (pk, type_id, holder_id, issued, expires, absent, status)
        for pk, body, number, type_id, holder_id, issued, expires, absent, status in (
            _stored_certificates(list({(r.body, r.number) for r in rows}))
        )
    }
    latest = {
        cert: (pk, status, since)
        for pk, cert, status, since in _open_entries([c[0] for c in certs.values()])
    }

    in_file: set[tuple[str, str]] = set()
    for row in rows:
        if (
            row.body,
            row.number,
        ) in in_file:  # the parser refuses it too; rows may come from elsewhere
            summary.problems.append(
                RowProblem(
                    row.row, row.columns.get("number", ""), _("This certificate is listed twice.")
                )
            )
            summary.refused += 1
            continue
        in_file.add((row.body, row.number))
        region_id = regions[row.region_code]
        stored_org = orgs.get(row.credit_code)
        org_pk = stored_org[0] if stored_org else None
        if stored_org is None:
            if row.credit_code not in plan.orgs_new:
                plan.orgs_new[row.credit_code] = SimpleNamespace(
                    credit_code=row.credit_code, name=row.holder, region_id=region_id, pk=None
                )
        elif stored_org[1] != row.holder or stored_org[2] != region_id:
            if stored_org[2] != region_id:  # its certificates move: both regions' stocks
                _changed_from(plan.holders, org_pk, dt.date.min)
                plan.region_ids.add(stored_org[2])
            stored_org[1:] = [row.holder, region_id]
            plan.orgs_changed[row.credit_code] = Organization(
                pk=org_pk, name=row.holder, region_id=region_id
            )
        cert = certs.get((row.body, row.number))
        if cert is None:
            before = len(summary.problems)
            entries = _first_entries(row, summary.problems)
            if len(summary.problems) > before:
                summary.refused += 1
                continue
            new = SimpleNamespace(
                number=row.number,
                body=row.body,
                type_id=types[row.type_code],
                holder=row.credit_code,
                issued_on=row.issued_on,
                expires_on=row.expires_on,
                status=row.status,
                absent_since_id=None,
            )
            plan.certs_new.append((new, entries))
            if org_pk:
                _changed_from(plan.holders, org_pk, row.issued_on)
            summary.added += 1
            continue
        cert_pk, type_id, holder_id, issued, expires, absent, status = cert
        plan.seen.add(cert_pk)
        changed = (
            type_id != types[row.type_code]
            or issued != row.issued_on
            or expires != row.expires_on
            or holder_id != org_pk
            or absent is not None
        )
        # the earliest day the certificate may count differently: its issue (old or new) when
        # its type, holder or issue date changes, the earlier expiry when that changes, else
        # the new status's date
        since = dt.date.max
        if type_id != types[row.type_code] or issued != row.issued_on or holder_id != org_pk:
            since = min(issued, row.issued_on)
        elif expires != row.expires_on:
            since = min(expires, row.expires_on)
        last = latest.get(cert_pk)
        if last is None or last[1] != row.status:
            date = row.status_date
            if date is None:
                summary.problems.append(
                    RowProblem(
                        row.row, row.columns.get("status", ""), _("A status change needs its date.")
                    )
                )
                summary.refused += 1
                continue
            if last is not None and date <= last[2]:
                summary.problems.append(
                    RowProblem(
                        row.row,
                        row.columns.get("status_date", ""),
                        _(
                            "The status date must be after %(date)s, the date of the recorded status."
                        )
                        % {"date": last[2].isoformat()},
                    )
                )
                summary.refused += 1
                continue
            if last is not None:
                plan.closes.append(CertificateStatus(pk=last[0], valid_to=date))
            entry = _entry(row.status, date)
            entry.certificate_id = cert_pk
            plan.entries.append(entry)
            status = row.status
            since = min(since, date)
            summary.status_changes += 1
            changed = True
        if changed:
            for pk in (holder_id, org_pk):
                if pk:
                    _changed_from(plan.holders, pk, since)
            update = Certificate(
                pk=cert_pk, type_id=types[row.type_code], issued_on=row.issued_on,
                expires_on=row.expires_on, status=status, absent_since=None,
            )  # fmt: skip
            plan.certs_changed.append((update, row.credit_code))
            summary.changed += 1
        else:
            summary.unchanged += 1
    return plan


def _absent(region: Region, seen: set[int]) -> list[int]:
    """Certificates held in ``region``'s subtree, not yet flagged, that the file does not list."""
    stored = Certificate.objects.filter(
        holder__region__path__startswith=region.path, absent_since__isnull=True
    ).values_list("pk", flat=True)
    return [pk for pk in stored.iterator(chunk_size=BATCH) if pk not in seen]


def register_import(
    *,
    user,
    rows: Sequence[RegisterRow],
    file_name: str,
    file_hash: str,
    refused_rows: int = 0,
    full_extract_of: Region | None = None,
    dry_run: bool = False,
    is_demo: bool = False,
) -> ImportSummary:
    """Apply the rows of a register file (the scope was checked when parsing, against the
    importer's regions): organizations and certificates added or updated in bulk, a status
    history entry for each new status, and a :class:`RegisterImport` recording it all.

    Rows refused while parsing (``refused_rows``) or here are not applied; the others are.
    With ``full_extract_of`` (only for a file without refused rows), every certificate of that
    region's subtree the file does not list is flagged absent. ``dry_run`` (the preview)
    computes the same summary and writes nothing.
    """
    with transaction.atomic():
        summary = ImportSummary(refused=refused_rows)
        plan = _plan(rows, summary)
        absent: list[int] = []
        if full_extract_of is not None and summary.refused == 0:
            absent = _absent(full_extract_of, plan.seen)
            summary.flagged = len(absent)
        if dry_run:
            return summary
        record = RegisterImport.objects.create(
            user=user if getattr(user, "pk", None) else None,
            region=full_extract_of or _common_region(plan.paths),
            file_name=file_name[:200],
            file_hash=file_hash,
            full_extract=full_extract_of is not None,
            rows_added=summary.added,
            rows_changed=summary.changed,
            rows_unchanged=summary.unchanged,
            rows_refused=summary.refused,
            rows_flagged=summary.flagged,
            is_demo=is_demo,
        )
        summary.record = record
        # The stock cells change by what the touched holders hold after minus before
        # (register.stocks), in this transaction.
        with register_stocks_refreshed(holders=plan.holders, regions=plan.region_ids) as touched:
            # New rows go in through indicators.bulk.insert_rows (COPY on PostgreSQL) with ids
            # drawn from their sequence first; elsewhere read back by natural key.
            ids = new_ids(Organization, len(plan.orgs_new))
            for org, pk in zip(plan.orgs_new.values(), ids or [], strict=False):
                org.id = org.pk = pk
            for org in plan.orgs_new.values():
                org.is_demo = is_demo
            insert_rows(
                Organization, list(plan.orgs_new.values()), batch=BATCH, with_pk=ids is not None
            )
            if plan.orgs_new and ids is None:
                for pk, code, _name, _region in _stored_organizations(list(plan.orgs_new)):
                    plan.orgs_new[code].pk = pk
            touched.update(org.pk for org in plan.orgs_new.values())
            update_rows(Organization, list(plan.orgs_changed.values()), ["name", "region"])
            holder_pk = {code: org.pk for code, org in plan.orgs_new.items()}
            holder_pk.update(plan.stored_orgs)
            new_certs = {(c.body, c.number): c for c, _entries in plan.certs_new}
            for cert in new_certs.values():
                cert.holder_id = holder_pk[cert.holder]
                cert.is_demo = is_demo
            ids = new_ids(Certificate, len(new_certs))
            for cert, pk in zip(new_certs.values(), ids or [], strict=False):
                cert.id = cert.pk = pk
            insert_rows(Certificate, list(new_certs.values()), batch=BATCH, with_pk=ids is not None)
            if new_certs and ids is None:
                for pk, body, number, *_rest in _stored_certificates(list(new_certs)):
                    new_certs[(body, number)].pk = pk
            entries = []
            for cert, first in plan.certs_new:
                for entry in first:
                    entry.certificate_id, entry.source_id = cert.pk, record.pk
                    entries.append(entry)
            changed = []
            for cert, code in plan.certs_changed:
                cert.holder_id = holder_pk[code]
                changed.append(cert)
            update_rows(
                Certificate,
                changed,
                ["type", "holder", "issued_on", "expires_on", "status", "absent_since"],
            )
            update_rows(CertificateStatus, plan.closes, ["valid_to"])
            for entry in plan.entries:
                entry.source_id = record.pk
            insert_rows(CertificateStatus, entries + plan.entries, batch=BATCH)
            for chunk in _chunks(absent):
                Certificate.objects.filter(pk__in=chunk).update(absent_since=record)
        data_changed()  # the register line of the dashboards reads these rows
    return summary


def register_demo_delete() -> None:
    """Remove the demo register (seed_demo loads it again): certificates, their histories,
    holders and the demo's import records. Nothing else is ever deleted from the register."""
    demo = Organization.objects.filter(certificates__is_demo=True).distinct()
    holders = dict(demo.values_list("pk", "region_id"))
    with (
        transaction.atomic(),
        register_stocks_refreshed(
            holders=dict.fromkeys(holders, dt.date.min), regions=set(holders.values())
        ),
    ):
        CertificateStatus.objects.filter(certificate__is_demo=True).delete()
        Certificate.objects.filter(is_demo=True).delete()
        Organization.objects.filter(is_demo=True).delete()
        RegisterImport.objects.filter(is_demo=True).delete()
        data_changed()
