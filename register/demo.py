"""The deterministic demo register behind ``manage.py seed_demo`` (rows built here, applied by
``register.services.register_import`` like any file).

Demo data only (DOMAIN.md): organizations named 【演示】…, certificate numbers starting DEMO.
For every demo reporting unit (Gansu's prefectures and 兰州新区, Beihai) the register is
simulated quarter by quarter so that its quarter-end stocks equal the demo counts of
``indicators.demo`` exactly, except for the few labelled differences of ``DIFFERENCES`` (and
Gansu's direct year-end figures, 0.5 % above the sum of its prefectures, from national
statistics). Each quarter: organizations are added (with one certificate) or lose all their
certificates until the organizations match, then certificates are added to holders or ended
(expired, withdrawn, cancelled, suspended) until the certificates match.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from stdnum.cn import uscc

from indicators import demo as counts_demo
from indicators.periods import Quarter, quarter_range
from register.imports import RegisterRow, nearest_region


@dataclass(frozen=True)
class Difference:
    """A labelled way in which a demo register differs from the demo's reported count."""

    region_code: str
    period: Quarter
    certificates: int  # register minus reported
    organizations: int
    note_zh: str
    note_en: str


DIFFERENCES = [
    Difference(
        "620500",
        Quarter(2021, 2),
        15,
        0,
        "【演示】天水市 2021Q2：15 张 2021 年 6 月颁发的证书晚报了一个季度，登记册比上报数多 15 张。",
        "[Demo] Tianshui 2021Q2: 15 certificates issued in June 2021 were reported a quarter late; "
        "the register holds 15 more than reported.",
    ),
    Difference(
        "450500",
        Quarter(2020, 4),
        -6,
        0,
        "【演示】北海市 2020Q4：上报数仍计入了 6 张已撤销的证书，登记册比上报数少 6 张。",
        "[Demo] Beihai 2020Q4: the reported count still included 6 withdrawn certificates; "
        "the register holds 6 fewer.",
    ),
    Difference(
        "620100",
        Quarter(2023, 3),
        4,
        4,
        "【演示】兰州市 2023Q3：4 家新获证组织（各持 1 张证书）漏报，登记册多 4 张证书、4 家组织。",
        "[Demo] Lanzhou 2023Q3: 4 newly certified organizations (one certificate each) were left "
        "out of the report; the register holds 4 more certificates and organizations.",
    ),
]
GANSU_NOTE = (
    "【演示】甘肃省各年第四季度的上报数取自全国统计，比各市州之和高 0.5%，与登记册之差即由此而来。",
    "[Demo] Gansu's fourth-quarter figures come from national statistics, 0.5% above the sum of "
    "its prefectures: hence their difference from the register.",
)

BODIES = ["演示认证机构甲", "演示认证机构乙", "演示认证机构丙", "演示认证机构丁"]
# First certificate of an organization, then further ones (type codes, weights)
FIRST_TYPES = [("qms", 46), ("ccc", 14), ("ems", 8), ("ohsms", 6), ("fsms", 5), ("service", 6),
               ("organic", 4), ("haccp", 3), ("green_food", 3), ("gap", 2), ("enms", 1),
               ("isms", 2)]  # fmt: skip
MORE_TYPES = [("ems", 30), ("ohsms", 28), ("qms", 12), ("enms", 6), ("isms", 5), ("fsms", 5),
              ("haccp", 4), ("service", 5), ("low_carbon", 2), ("energy_saving", 2),
              ("green_product", 1)]  # fmt: skip
VALIDITY_YEARS = 3
BEIHAI_COUNTIES = ["450502", "450503", "450512", "450521"]


@dataclass
class _Cert:
    number: str
    type_code: str
    body: str
    issued_on: dt.date
    expires_on: dt.date | None = None  # set when it ends by expiry, else computed at the end
    status: str = "valid"
    status_date: dt.date | None = None


@dataclass
class _Org:
    credit_code: str
    name: str
    region_column: str
    certs: list[_Cert] = field(default_factory=list)

    def valid(self) -> list[_Cert]:
        return [c for c in self.certs if c.status == "valid" and c.expires_on is None]


def credit_code(region: str, serial: int) -> str:
    """A valid demo 统一社会信用代码 (check character by python-stdnum)."""
    base = f"91{region}MA{serial:07d}"[:17]
    return base + uscc.calc_check_digit(base)


def _day_in(period: Quarter, rng: random.Random, *, before_end: int = 1) -> dt.date:
    start = (period - 1).end_date + dt.timedelta(days=1)
    span = (period.end_date - start).days - before_end
    return start + dt.timedelta(days=rng.randint(0, max(span, 0)))


def _pick(rng: random.Random, choices: list[tuple[str, int]], avoid: set[str]) -> str:
    options = [(c, w) for c, w in choices if c not in avoid] or choices
    return rng.choices([c for c, _w in options], weights=[w for _c, w in options])[0]


class _Unit:
    """One reporting unit's simulated register."""

    def __init__(self, code: str, usc_regions: list[str], region_column: str, prefix: int):
        self.code, self.usc_regions, self.region_column = code, usc_regions, region_column
        self.rng = random.Random(f"certtrack-register-{code}")
        self.orgs: list[_Org] = []
        self.serial = prefix * 100_000
        self.cert_serial = 0

    def _new_cert(self, org: _Org, issued: dt.date) -> _Cert:
        self.cert_serial += 1
        held = {c.type_code for c in org.valid()}
        kind = _pick(self.rng, MORE_TYPES if held else FIRST_TYPES, held)
        cert = _Cert(
            number=f"DEMO{self.code}{self.cert_serial:06d}",
            type_code=kind,
            body=BODIES[self.cert_serial % len(BODIES)],
            issued_on=issued,
        )
        org.certs.append(cert)
        return cert

    def _new_org(self, issued: dt.date) -> _Org:
        self.serial += 1
        region = self.usc_regions[self.serial % len(self.usc_regions)]
        org = _Org(
            credit_code=credit_code(region, self.serial),
            name=f"【演示】{self.code}-{self.serial % 100_000:05d}号企业有限公司",
            region_column=self.region_column,
        )
        self.orgs.append(org)
        self._new_cert(org, issued)
        return org

    def _end(self, cert: _Cert, period: Quarter) -> None:
        start = (period - 1).end_date + dt.timedelta(days=1)
        day = max(_day_in(period, self.rng), cert.issued_on + dt.timedelta(days=1))
        if day > period.end_date:
            day = period.end_date
        roll = self.rng.random()
        if roll < 0.4 and day > cert.issued_on:
            cert.expires_on = day - dt.timedelta(days=1)
            cert.status, cert.status_date = "expired", day
        else:
            cert.status = "withdrawn" if roll < 0.65 else "cancelled" if roll < 0.9 else "suspended"
            cert.status_date = max(day, start)

    def step(self, period: Quarter, certificates: int, organizations: int, first: bool) -> None:
        rng = self.rng
        active = [o for o in self.orgs if o.valid()]
        issued = (
            (lambda: period.end_date - dt.timedelta(days=rng.randint(1, 3 * 365)))
            if first
            else (lambda: _day_in(period, rng, before_end=0))
        )
        while len(active) < organizations:
            active.append(self._new_org(issued()))
        if len(active) > organizations:
            # the holders of one certificate leave first
            leaving = sorted(active, key=lambda o: (len(o.valid()), rng.random()))
            for org in leaving[: len(active) - organizations]:
                for cert in org.valid():
                    self._end(cert, period)
            active = [o for o in self.orgs if o.valid()]
        count = sum(len(o.valid()) for o in active)
        while count < certificates:
            self._new_cert(rng.choice(active), issued())
            count += 1
        if count > certificates:
            several = [o for o in active if len(o.valid()) > 1]
            rng.shuffle(several)
            for org in several:
                if count == certificates:
                    break
                self._end(rng.choice(org.valid()), period)
                count -= 1

    def rows(self, until: dt.date) -> list[RegisterRow]:
        out = []
        for org in self.orgs:
            for cert in org.certs:
                expires = cert.expires_on
                if expires is None:  # renewed every three years: its latest validity
                    expires = cert.issued_on
                    while expires <= until:
                        expires = dt.date(expires.year + VALIDITY_YEARS, expires.month, 1)
                    expires -= dt.timedelta(days=1)
                region = self.region_column or org.credit_code[2:8]
                out.append(
                    RegisterRow(
                        row=0,
                        number=cert.number,
                        body=cert.body,
                        type_code=cert.type_code,
                        credit_code=org.credit_code,
                        holder=org.name,
                        region_code=region,
                        issued_on=cert.issued_on,
                        expires_on=expires,
                        status=cert.status,
                        status_date=cert.status_date,
                        columns={},
                    )  # fmt: skip
                )
        return out


def _units(end: Quarter) -> list[tuple[str, list[str], str, dict, dict]]:
    """(code, credit-code regions, region column, certificate series, organization series)."""
    certs = counts_demo.gansu_units("certificates", end)
    orgs = counts_demo.gansu_units("organizations", end)
    new_area, lanzhou = counts_demo.NEW_AREA[0], counts_demo.NEW_AREA[1]
    units = []
    for code in counts_demo.GANSU_WEIGHTS:
        c, o = dict(certs[code]), dict(orgs[code])
        if code == lanzhou:  # the New Area's holders are counted apart, inside Lanzhou
            c = {q: v - certs[new_area][q] for q, v in c.items()}
            o = {q: v - orgs[new_area][q] for q, v in o.items()}
        # a county code not in the tree (…02, …21) goes to its prefecture: the rule at work
        units.append((code, [code, code[:4] + "02", code[:4] + "21"], "", c, o))
    units.append((new_area, [lanzhou], new_area, certs[new_area], orgs[new_area]))
    units.append(
        (
            "450500",
            BEIHAI_COUNTIES,
            "",
            counts_demo.total_series("450500", "certificates", end),
            counts_demo.total_series("450500", "organizations", end),
        )
    )
    return units


def demo_register_rows(end: Quarter, regions: Mapping[str, str]) -> list[RegisterRow]:
    """Every demo certificate, one row each, as a register file would state it at ``end``;
    holders' regions resolved as an import resolves them (``regions``: code -> path)."""
    return list(_resolved_rows(end, frozenset(regions)))


@functools.lru_cache(maxsize=2)
def _resolved_rows(end: Quarter, known: frozenset[str]) -> tuple[RegisterRow, ...]:
    """:func:`demo_register_rows` for the region codes ``known`` (kept like :func:`_rows`: the
    rows are immutable, and resolving them again took ≈ 0.1 s of every seed)."""
    regions = dict.fromkeys(known, "")
    nearest = {}
    for r in _rows(end):
        if r.region_code not in nearest:
            nearest[r.region_code] = nearest_region(r.region_code, regions)
    return tuple(replace(r, region_code=nearest[r.region_code]) for r in _rows(end))


@functools.lru_cache(maxsize=2)
def _rows(end: Quarter) -> tuple[RegisterRow, ...]:
    """The simulation (deterministic for ``end``; kept, as a test run seeds the demo often)."""
    rows: list[RegisterRow] = []
    adjust = {(d.region_code, d.period): d for d in DIFFERENCES}
    for index, (code, codes, column, certs, orgs) in enumerate(_units(end), start=1):
        unit = _Unit(code, codes, column, index)
        for i, period in enumerate(quarter_range(counts_demo.START, end)):
            diff = adjust.get((code, period))
            c = certs[period] + (diff.certificates if diff else 0)
            o = orgs[period] + (diff.organizations if diff else 0)
            unit.step(period, c, o, first=i == 0)
        rows += unit.rows(end.end_date)
    return tuple(rows)


def seed(*, end: Quarter, stdout=None) -> int:
    """Replace the demo register (flagged demo; one import record labelled demo); returns the
    number of certificates."""
    from regions.models import Region
    from register.services import register_demo_delete, register_import

    register_demo_delete()
    regions = dict(Region.objects.values_list("code", "path"))
    if not all(code in regions for code in ("620000", "450500", counts_demo.NEW_AREA[0])):
        return 0
    rows = demo_register_rows(end, regions)
    # one file per province, as each bureau would import its own (each reviewer sees theirs)
    for province in ("62", "45"):
        register_import(
            user=None,
            rows=[r for r in rows if r.region_code.startswith(province)],
            file_name=f"【演示】证书信息表 {province}0000",
            file_hash=hashlib.sha256(
                f"certtrack-demo-register-{province}-{end}".encode()
            ).hexdigest(),
            is_demo=True,
        )
    if stdout is not None:
        stdout.write(f"Demo register: {len(rows)} certificates up to {end}.")
    return len(rows)


def demo_notes(region_code: str, codes_within: set[str], *, english: bool) -> list[str]:
    """The labelled differences of the units inside a region's subtree (``codes_within``:
    the units' codes that lie in it), in the page's language."""
    found = [
        d.note_en if english else d.note_zh for d in DIFFERENCES if d.region_code in codes_within
    ]
    if region_code == "620000":
        found.append(GANSU_NOTE[1] if english else GANSU_NOTE[0])
    return found
