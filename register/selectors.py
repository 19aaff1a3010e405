"""Read side of the certificate register: stocks at any day, counted set-wise in SQL, the
register beside the reported counts, the certificates behind a number, the imports.

The stock rule is written here once (DOMAIN.md, docs/register.md). A certificate counts as
valid on day D when it was issued on or before D, expires on or after D, and the entry of its
status history covering D is "valid". Certified organizations on D are the distinct holders of
at least one certificate valid on D. Counts are per region subtree (an organization has one
region, so a subtree counts each once: summed over regions, never over time). Certificates by
type add up to the total; organizations by type (or type group) are counted each on their own
and never summed into a total.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from indicators.models import Indicator
from indicators.periods import Quarter, quarter_range
from indicators.selectors.values import Inclusion, regions_values
from regions.models import Region
from regions.selectors import access_for
from register.models import (
    Certificate,
    CertificateStatus,
    CertificationType,
    RegisterImport,
    RegisterStock,
)
from register.stocks import quarter_number, quarter_of

CERTIFICATES = "certificates"
ORGANIZATIONS = "organizations"
INDICATORS = (CERTIFICATES, ORGANIZATIONS)

# The stock rule, set-wise: every (day, valid status interval covering it, certificate in force
# on it) of the holders in one subtree. {select} and {group} name what is counted and how.
_STOCK_SQL = """
WITH days(d) AS (VALUES {days})
SELECT days.d, {select}
FROM days
JOIN register_certificatestatus s
  ON s.status = 'valid' AND s.valid_from <= days.d AND (s.valid_to IS NULL OR s.valid_to > days.d)
JOIN register_certificate c
  ON c.id = s.certificate_id AND c.issued_on <= days.d AND c.expires_on >= days.d
JOIN register_organization o ON o.id = c.holder_id
JOIN regions_region r ON r.id = o.region_id
JOIN register_certificationtype t ON t.id = c.type_id
WHERE r.path LIKE %s
GROUP BY days.d{group}
"""


def _run(select: str, group: str, days: Sequence[dt.date], path: str) -> list[tuple]:
    sql = _STOCK_SQL.format(days=", ".join(["(%s)"] * len(days)), select=select, group=group)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*days, path + "%"])
        return cursor.fetchall()


def _day(value) -> dt.date:
    """SQLite hands the VALUES column back as text."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class RegisterStocks:
    """A region subtree's register stocks on some days.

    ``certificates[(day, type_code)]`` and ``organizations[(day, type_code)]`` per type;
    ``organizations_by_group[(day, group)]``; ``total_*[day]``. Missing keys are 0.
    """

    days: tuple[dt.date, ...]
    certificates: dict[tuple[dt.date, str], int]
    organizations: dict[tuple[dt.date, str], int]
    organizations_by_group: dict[tuple[dt.date, str], int]
    total_certificates: dict[dt.date, int]
    total_organizations: dict[dt.date, int]

    def certificates_by_group(self, day: dt.date, group: str, types) -> int:
        """Certificates of a group: the sum of its types (certificates add up across types)."""
        return sum(self.certificates.get((day, t.code), 0) for t in types if t.group == group)


def _quarter_ends(days: Sequence[dt.date]) -> dict[int, dt.date]:
    """Quarter number -> day, for days that are quarter ends (the stocks kept)."""
    found = {quarter_number(day): day for day in days}
    for number, day in found.items():
        if quarter_of(number).end_date != day:
            raise ValueError(f"{day} is no quarter end: the register keeps quarter-end stocks")
    return found


def register_stocks(*, region: Region, days: Sequence[dt.date]) -> RegisterStocks:
    """Valid certificates and certified organizations in ``region``'s subtree at each of
    ``days`` (quarter ends): by type, organizations by type group, and the totals, as
    :func:`register_stocks_counted` counts them, read from the cells ``register.stocks`` keeps
    (rolled up over regions, never over time). One query whatever the days or certificates."""
    days = tuple(sorted(set(days)))
    numbers = _quarter_ends(days)
    by_type: dict = {}
    orgs_type: dict = {}
    orgs_group: dict = {}
    total_c: dict = {}
    total_o: dict = {}
    if numbers:
        cells = RegisterStock.objects.filter(
            region=region, year__gte=min(numbers) // 4, year__lte=max(numbers) // 4
        ).values_list("year", "quarter", "certificates", "organizations", "by_type", "by_group")
        for year, quarter, certs, orgs, types, groups in cells:
            day = numbers.get(year * 4 + quarter - 1)
            if day is None:
                continue
            total_c[day], total_o[day] = certs, orgs
            for code, (n_certs, n_orgs) in types.items():
                by_type[(day, code)] = n_certs
                orgs_type[(day, code)] = n_orgs
            for group, (_n_certs, n_orgs) in groups.items():
                orgs_group[(day, group)] = n_orgs
    return RegisterStocks(days, by_type, orgs_type, orgs_group, total_c, total_o)


def register_stocks_counted(*, region: Region, days: Sequence[dt.date]) -> RegisterStocks:
    """Valid certificates and certified organizations in ``region``'s subtree on each of
    ``days`` (any days), counted from the certificates at read time: the definition the kept
    cells materialize (tests compare the two). Three set-wise queries whatever the number of
    days or certificates; the cost grows with days × certificates."""
    days = tuple(sorted(set(days)))
    by_type: dict = {}
    orgs_type: dict = {}
    orgs_group: dict = {}
    total_c: dict = defaultdict(int)
    total_o: dict = {}
    if days:
        for day, code, certs, orgs in _run(
            "t.code, COUNT(*), COUNT(DISTINCT c.holder_id)", ", t.code", days, region.path
        ):
            by_type[(_day(day), code)] = certs
            orgs_type[(_day(day), code)] = orgs
            total_c[_day(day)] += certs
        for day, group, orgs in _run(
            't."group", COUNT(DISTINCT c.holder_id)', ', t."group"', days, region.path
        ):
            orgs_group[(_day(day), group)] = orgs
        for day, orgs in _run("COUNT(DISTINCT c.holder_id)", "", days, region.path):
            total_o[_day(day)] = orgs
    return RegisterStocks(days, by_type, orgs_type, orgs_group, dict(total_c), total_o)


def register_stocks_by_region(
    *, days: Sequence[dt.date]
) -> tuple[dict[tuple[str, dt.date, str], int], dict[tuple[str, dt.date, str], int]]:
    """Every region's stocks at each of ``days`` (quarter ends), rolled up over the tree:
    (certificates, organizations), each keyed by (region code, day, type code) with "" for the
    total. Read from the kept cells in one query. Organizations by type are per type; the total
    is its own distinct count, never a sum over types."""
    numbers = _quarter_ends(days)
    certs: dict[tuple[str, dt.date, str], int] = {}
    orgs: dict[tuple[str, dt.date, str], int] = {}
    if not numbers:
        return certs, orgs
    cells = RegisterStock.objects.filter(
        year__gte=min(numbers) // 4, year__lte=max(numbers) // 4
    ).values_list("region__code", "year", "quarter", "certificates", "organizations", "by_type")
    for region, year, quarter, n_certs, n_orgs, types in cells.iterator(chunk_size=10_000):
        day = numbers.get(year * 4 + quarter - 1)
        if day is not None:
            certs[(region, day, "")] = n_certs
            orgs[(region, day, "")] = n_orgs
            for code, (c, o) in types.items():
                certs[(region, day, code)] = c
                orgs[(region, day, code)] = o
    return certs, orgs


@dataclass(frozen=True)
class RegisterRow:
    """One line of the register beside the reported counts: a region, quarter, indicator and
    type (or type group, or the total). ``difference`` is reported minus register; only the
    total rows have a reported value (counts are reported without a breakdown by type)."""

    region_code: str
    period: Quarter
    indicator: str
    type_group: str  # "" on the total row
    type_code: str  # "" on the total and group rows
    label: str
    register_value: int
    reported_value: int | None = None
    reported_complete: bool = True  # False: a roll-up over divisions not all reported

    @property
    def is_total(self) -> bool:
        return not self.type_group

    @property
    def difference(self) -> int | None:
        if self.reported_value is None:
            return None
        return self.reported_value - self.register_value

    @property
    def summable(self) -> bool:
        """Whether rows of this kind add up to the total (certificates by type do;
        organizations by type or group never do)."""
        return self.indicator == CERTIFICATES


@dataclass(frozen=True)
class RegisterComparison:
    region: Region
    periods: list[Quarter]
    rows: list[RegisterRow]
    has_data: bool  # the register holds a certificate of this subtree at all

    def totals(self, indicator: str) -> list[RegisterRow]:
        return [r for r in self.rows if r.indicator == indicator and r.is_total]


def register_types() -> list[CertificationType]:
    return list(CertificationType.objects.all())


def register_comparison(
    *,
    region: Region,
    start: Quarter,
    end: Quarter,
    include: Inclusion = Inclusion.SUBMITTED,
) -> RegisterComparison:
    """Per quarter from ``start`` to ``end``: the register's stocks of ``region`` at quarter end
    (total, by type group, by type) beside the reported counts (``indicators.selectors.values``,
    direct or rolled up as every page shows them). A constant number of queries: both read
    kept cells."""
    periods = list(quarter_range(start, end))
    stocks = register_stocks(region=region, days=[p.end_date for p in periods])
    types = register_types()
    groups = [g for g in CertificationType.Group if any(t.group == g for t in types)]
    reported: dict[tuple[str, Quarter], tuple[int | None, bool]] = {}
    indicators = list(Indicator.objects.filter(code__in=INDICATORS))
    # the reported counts as every page shows them, read from the kept roll-ups (one query)
    grid = regions_values(
        regions=[region], start=start, end=end, indicators=indicators, include=include
    )
    for indicator in indicators:
        for value in grid.series(region.code, indicator.code):
            reported[(indicator.code, value.period)] = (value.value, value.complete)
    rows: list[RegisterRow] = []
    for period in periods:
        day = period.end_date
        for indicator in INDICATORS:
            if indicator == CERTIFICATES:
                total = stocks.total_certificates.get(day, 0)
            else:
                total = stocks.total_organizations.get(day, 0)
            value, complete = reported.get((indicator, period), (None, True))
            rows.append(
                RegisterRow(region.code, period, indicator, "", "", "", total, value, complete)
            )
            for group in groups:
                if indicator == CERTIFICATES:
                    value = stocks.certificates_by_group(day, group, types)
                else:
                    value = stocks.organizations_by_group.get((day, group), 0)
                rows.append(
                    RegisterRow(region.code, period, indicator, group, "", group.label, value)
                )
                source = stocks.certificates if indicator == CERTIFICATES else stocks.organizations
                for t in types:
                    if t.group == group:
                        rows.append(
                            RegisterRow(
                                region.code,
                                period,
                                indicator,
                                group,
                                t.code,
                                t.name,
                                source.get((day, t.code), 0),
                            )  # fmt: skip
                        )
    has_data = Certificate.objects.filter(holder__region__path__startswith=region.path).exists()
    return RegisterComparison(region, periods, rows, has_data)


def register_holds_anything() -> bool:
    """Whether the register holds any certificate at all (one query)."""
    return Certificate.objects.exists()


def register_counts(*, region: Region, period: Quarter) -> dict[str, int | None]:
    """The register's totals of both indicators for a region at a quarter end, by indicator
    code (None when the register holds no certificate of the region's subtree): what the entry
    form offers, what the review page shows beside the submitted counts, and what a submission
    is checked against. One query for a region without certificates, four otherwise."""
    if not Certificate.objects.filter(holder__region__path__startswith=region.path).exists():
        return {CERTIFICATES: None, ORGANIZATIONS: None}
    day = period.end_date
    stocks = register_stocks(region=region, days=[day])
    return {
        CERTIFICATES: stocks.total_certificates.get(day, 0),
        ORGANIZATIONS: stocks.total_organizations.get(day, 0),
    }


def certificates_valid_on(*, region: Region, day: dt.date) -> QuerySet[Certificate]:
    """The certificates behind a register number: those of ``region``'s subtree valid on
    ``day`` (the stock rule of this module, as a queryset to filter and page)."""
    valid_then = CertificateStatus.objects.filter(
        certificate=OuterRef("pk"), status=Certificate.Status.VALID, valid_from__lte=day
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    return (
        Certificate.objects.filter(
            holder__region__path__startswith=region.path,
            issued_on__lte=day,
            expires_on__gte=day,
        )
        .filter(Exists(valid_then))
        .select_related("type", "holder", "holder__region")
    )


def certificates_of(*, region: Region) -> QuerySet[Certificate]:
    """Every certificate held in ``region``'s subtree, whatever its status."""
    return Certificate.objects.filter(holder__region__path__startswith=region.path).select_related(
        "type", "holder", "holder__region"
    )


def register_imports(*, user, limit: int = 50) -> list[RegisterImport]:
    """The latest imports whose region the user sees, newest first (the import page's list);
    an import of no single region (rows of two provinces) is listed to administrators only."""
    access = access_for(user)
    rows = RegisterImport.objects.select_related("user", "region")
    if not access.everything:
        rows = rows.filter(access.visible_q("region__"))
    return list(rows[:limit])
