"""Writes to the certificate register: a parsed register file applied set-wise (organizations,
certificates, status history), recorded in a RegisterImport. Parsing is register/imports.py.

Rules (docs/register.md): a certificate is known by (body, number); a row that states what is
stored changes nothing; a new status adds a history entry from its date (the previous entry is
closed on that day); a full extract of a region flags the certificates of that region it no
longer lists, and deletes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import transaction
from django.utils.translation import gettext as _

from indicators.bulk import insert_rows
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
    orgs_new: dict[str, SimpleNamespace] = field(default_factory=dict)  # rows for insert_rows
    orgs_changed: dict[str, Organization] = field(default_factory=dict)
    # new certificates and their first history entries, as rows for insert_rows
    certs_new: list[tuple[SimpleNamespace, list[SimpleNamespace]]] = field(default_factory=list)
    certs_changed: list[Certificate] = field(default_factory=list)
    closes: list[CertificateStatus] = field(default_factory=list)  # previous entries closed
    entries: list[CertificateStatus] = field(default_factory=list)  # new entries, old certs
    seen: set[int] = field(default_factory=set)  # ids of stored certificates in the file
    paths: set[str] = field(default_factory=set)  # the regions of the file's holders
    # stored certificates moved to a holder new in the file: holder_id set once it is written
    new_holders: list[tuple[Certificate, SimpleNamespace]] = field(default_factory=list)


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


def _chunks(items: Sequence, size: int = BATCH) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_entries(row: RegisterRow, problems: list[RowProblem]) -> list[SimpleNamespace]:
    """The history of a certificate first seen: valid from its issue date, then the row's
    status from its date (or that status from the issue date, if it is that day). Rows for
    :func:`indicators.bulk.insert_rows` (``certificate_id`` and ``source_id`` set on writing)."""
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


def _entry(status: str, valid_from, valid_to=None) -> SimpleNamespace:
    """A new CertificateStatus row (a tenth of the cost of a model instance: an import of the
    demo register builds 15,000 of them at every seed)."""
    return SimpleNamespace(status=status, valid_from=valid_from, valid_to=valid_to)


def _plan(rows: Sequence[RegisterRow], summary: ImportSummary) -> _Plan:
    plan = _Plan()
    types = dict(CertificationType.objects.values_list("code", "pk"))
    paths = dict(
        Region.objects.filter(code__in={r.region_code for r in rows}).values_list("code", "path")
    )
    regions = dict(Region.objects.filter(code__in=list(paths)).values_list("code", "pk"))
    plan.paths = set(paths.values())
    codes = sorted({r.credit_code for r in rows})
    orgs: dict[str, Organization] = {}
    for chunk in _chunks(codes):
        orgs.update({o.credit_code: o for o in Organization.objects.filter(credit_code__in=chunk)})
    numbers = sorted({r.number for r in rows})
    certs: dict[tuple[str, str], Certificate] = {}
    for chunk in _chunks(numbers):
        certs.update({(c.body, c.number): c for c in Certificate.objects.filter(number__in=chunk)})
    latest: dict[int, CertificateStatus] = {}
    ids = [c.pk for c in certs.values()]
    for chunk in _chunks(ids):
        latest.update(
            {
                s.certificate_id: s
                for s in CertificateStatus.objects.filter(
                    certificate_id__in=chunk, valid_to__isnull=True
                )
            }
        )

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
        org = orgs.get(row.credit_code) or plan.orgs_new.get(row.credit_code)
        region_id = regions[row.region_code]
        if org is None:
            org = SimpleNamespace(
                pk=None, credit_code=row.credit_code, name=row.holder, region_id=region_id
            )
            plan.orgs_new[row.credit_code] = org
        elif org.pk and (org.name != row.holder or org.region_id != region_id):
            org.name, org.region_id = row.holder, region_id
            plan.orgs_changed[row.credit_code] = org
        cert = certs.get((row.body, row.number))
        if cert is None:
            before = len(summary.problems)
            entries = _first_entries(row, summary.problems)
            if len(summary.problems) > before:
                summary.refused += 1
                continue
            # a row for insert_rows, not a model instance (see _entry)
            new = SimpleNamespace(
                pk=None,
                number=row.number,
                body=row.body,
                type_id=types[row.type_code],
                holder=org,
                issued_on=row.issued_on,
                expires_on=row.expires_on,
                status=row.status,
            )
            plan.certs_new.append((new, entries))
            summary.added += 1
            continue
        plan.seen.add(cert.pk)
        changed = False
        fields = {
            "type_id": types[row.type_code],
            "issued_on": row.issued_on,
            "expires_on": row.expires_on,
        }
        for name, value in fields.items():
            if getattr(cert, name) != value:
                setattr(cert, name, value)
                changed = True
        if org.pk is None:
            plan.new_holders.append((cert, org))
            changed = True
        elif cert.holder_id != org.pk:
            cert.holder_id = org.pk
            changed = True
        if cert.absent_since_id is not None:
            cert.absent_since = None
            changed = True
        last = latest.get(cert.pk)
        if last is None or last.status != row.status:
            date = row.status_date
            if date is None:
                summary.problems.append(
                    RowProblem(
                        row.row, row.columns.get("status", ""), _("A status change needs its date.")
                    )
                )
                summary.refused += 1
                continue
            if last is not None and date <= last.valid_from:
                summary.problems.append(
                    RowProblem(
                        row.row,
                        row.columns.get("status_date", ""),
                        _(
                            "The status date must be after %(date)s, the date of the recorded status."
                        )
                        % {"date": last.valid_from.isoformat()},
                    )
                )
                summary.refused += 1
                continue
            if last is not None:
                last.valid_to = date
                plan.closes.append(last)
            plan.entries.append(
                CertificateStatus(certificate=cert, status=row.status, valid_from=date)
            )
            cert.status = row.status
            summary.status_changes += 1
            changed = True
        if changed:
            plan.certs_changed.append(cert)
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
        # New rows go in through indicators.bulk.insert_rows (COPY on PostgreSQL: bulk_create
        # prepares every field in Python), their ids read back by natural key.
        for org in plan.orgs_new.values():
            org.is_demo = is_demo
        insert_rows(Organization, list(plan.orgs_new.values()), batch=BATCH)
        codes = list(plan.orgs_new)
        for chunk in _chunks(codes):
            for code, pk in Organization.objects.filter(credit_code__in=chunk).values_list(
                "credit_code", "pk"
            ):
                plan.orgs_new[code].pk = pk
        Organization.objects.bulk_update(
            plan.orgs_changed.values(), ["name", "region"], batch_size=BATCH
        )
        new_certs = {(c.body, c.number): c for c, _entries in plan.certs_new}
        for cert in new_certs.values():
            cert.holder_id = cert.holder.pk
            cert.is_demo = is_demo
        insert_rows(Certificate, list(new_certs.values()), batch=BATCH)
        numbers = sorted({number for _body, number in new_certs})
        for chunk in _chunks(numbers):
            for body, number, pk in Certificate.objects.filter(number__in=chunk).values_list(
                "body", "number", "pk"
            ):
                if (body, number) in new_certs:
                    new_certs[(body, number)].pk = pk
        entries = []
        for cert, first in plan.certs_new:
            for entry in first:
                entry.certificate_id, entry.source_id = cert.pk, record.pk
                entries.append(entry)
        for cert, org in plan.new_holders:
            cert.holder_id = org.pk
        Certificate.objects.bulk_update(
            plan.certs_changed,
            ["type", "holder", "issued_on", "expires_on", "status", "absent_since"],
            batch_size=BATCH,
        )
        CertificateStatus.objects.bulk_update(plan.closes, ["valid_to"], batch_size=BATCH)
        for entry in plan.entries:
            entry.certificate_id, entry.source_id = entry.certificate.pk, record.pk
        insert_rows(CertificateStatus, entries + plan.entries, batch=BATCH)
        for chunk in _chunks(absent):
            Certificate.objects.filter(pk__in=chunk).update(absent_since=record)
        data_changed()  # the register line of the dashboards reads these rows
    return summary


def register_demo_delete() -> None:
    """Remove the demo register (seed_demo loads it again): certificates, their histories,
    holders and the demo's import records. Nothing else is ever deleted from the register."""
    CertificateStatus.objects.filter(certificate__is_demo=True).delete()
    Certificate.objects.filter(is_demo=True).delete()
    Organization.objects.filter(is_demo=True).delete()
    RegisterImport.objects.filter(is_demo=True).delete()
    data_changed()
