"""The load test's database side: extra officials before the run, write verification after it.

Runs Django in the load script's own process, against the database the server under load uses
(its DATABASE_URL), with production settings; only in the main thread, before the users start
and after they have stopped, so nothing here competes with the load.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

# One official per Gansu prefecture-level division, two per Beihai district: the two officials of
# a district work on the same quarters at once, so their writes race (optimistic locking).
GANSU_PREFECTURES = (
    "620100",
    "620200",
    "620300",
    "620400",
    "620500",
    "620600",
    "620700",
    "620800",
    "620900",
    "621000",
    "621100",
    "621200",
    "622900",
    "623000",
)
BEIHAI_DISTRICTS = ("450502", "450503", "450512", "450521")
OFFICIALS_PER_DISTRICT = 2
INDICATORS = ("certificates", "organizations")


@dataclass(frozen=True)
class Official:
    """An official made for the load test: enters counts for ``region`` only."""

    username: str
    region: str
    forged_region: str  # a region outside the official's own, for the forged writes


@dataclass
class Write:
    """One POST of the entry form, as sent, and whether the server accepted it (a redirect)."""

    username: str
    region: str  # as posted (a forged one for forged writes)
    period: str
    values: dict[str, str]  # raw, as posted
    expected: dict[str, int | None]  # versions posted
    submit: bool
    accepted: bool
    reason: str = ""


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    accepted: int = 0
    refused: int = 0
    events: int = 0


def django_setup(database_url: str) -> None:
    """Configure Django here as bin/serve configures it for gunicorn (production settings)."""
    for name in ("CERTTRACK_DEV", "CERTTRACK_PLAIN_STATIC", "CERTTRACK_DEBUG"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="certtrack.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        CERTTRACK_SECURE="0",
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("CERTTRACK_BASE_URL", "http://127.0.0.1:8000")  # no mail is sent
    import django

    django.setup()


def create_officials(password: str) -> list[Official]:
    """Official users ``load_<code>[_<n>]`` with a membership on their region (idempotent)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from regions.models import Membership, Region

    User = get_user_model()
    hashed = make_password(password)  # once: hashing is deliberately slow
    regions = {
        r.code: r for r in Region.objects.filter(code__in=GANSU_PREFECTURES + BEIHAI_DISTRICTS)
    }
    plan = [(code, f"load_{code}", BEIHAI_DISTRICTS[0]) for code in GANSU_PREFECTURES]
    for i, code in enumerate(BEIHAI_DISTRICTS):
        other = BEIHAI_DISTRICTS[(i + 1) % len(BEIHAI_DISTRICTS)]  # a sibling: same city
        plan += [(code, f"load_{code}_{n}", other) for n in range(1, OFFICIALS_PER_DISTRICT + 1)]
    # Gansu officials forge Beihai's first district; make it a Gansu sibling for half of them.
    plan = [
        (code, name, GANSU_PREFECTURES[(i + 1) % len(GANSU_PREFECTURES)] if i % 2 else forged)
        if code in GANSU_PREFECTURES
        else (code, name, forged)
        for i, (code, name, forged) in enumerate(plan)
    ]
    officials = []
    with transaction.atomic():
        for code, username, forged in plan:
            user, _ = User.objects.get_or_create(username=username)
            user.password = hashed
            user.is_active = True
            user.first_name = f"load test {code}"
            user.save()
            Membership.objects.filter(user=user).delete()
            Membership.objects.create(
                user=user, region=regions[code], role=Membership.Role.OFFICIAL
            )
            officials.append(Official(username, code, forged))
    return officials


def last_event_id() -> int:
    from indicators.models import CountEvent

    return CountEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _int(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def verify_writes(writes: list[Write], *, after_event: int) -> Verification:
    """Compare what the clients were told with what the database holds.

    Every accepted write must have its audit events (the value sent, at the version it was
    based on plus one, a submission in the same request included), and every event since the
    run began must come from an accepted write (no phantom write). Each count touched ends at
    its last accepted version and value (no lost update). No value of a refused write is in
    any count or event. The materialized roll-ups equal a rebuild from the counts.
    """
    from django.db import transaction

    from indicators.models import CountEvent, QuarterlyCount, RollupCell
    from indicators.rollups import rollups_rebuild

    result = Verification()
    expected: dict[tuple, int] = {}  # (region, indicator, period, version) -> value
    for w in writes:
        if not w.accepted:
            result.refused += 1
            continue
        result.accepted += 1
        for code, raw in w.values.items():
            base = w.expected.get(code) or 0
            # one version per save, a save-and-submit included (issue 22.9)
            expected[(w.region, code, w.period, base + 1)] = int(raw)

    actual: dict[tuple, int] = {}
    for region, code, year, quarter, version, value in CountEvent.objects.filter(
        pk__gt=after_event
    ).values_list(
        "count__region__code",
        "count__indicator__code",
        "count__year",
        "count__quarter",
        "version",
        "new_value",
    ):
        actual[(region, code, f"{year}Q{quarter}", version)] = value
    result.events = len(actual)
    problems = result.problems
    for key in sorted(expected.keys() - actual.keys()):
        problems.append(f"lost write: {key} accepted with {expected[key]} but not in the audit")
    for key in sorted(actual.keys() - expected.keys()):
        problems.append(f"phantom write: {key} = {actual[key]} in the audit, never accepted")
    for key in sorted(expected.keys() & actual.keys()):
        if expected[key] != actual[key]:
            problems.append(f"wrong value: {key} sent {expected[key]}, stored {actual[key]}")

    last: dict[tuple, tuple[int, int]] = {}
    for (region, code, period, version), value in expected.items():
        if version > last.get((region, code, period), (0, 0))[0]:
            last[(region, code, period)] = (version, value)
    stored = {
        (region, code, f"{year}Q{quarter}"): (version, value)
        for region, code, year, quarter, version, value in QuarterlyCount.objects.filter(
            region__code__in={k[0] for k in last}
        ).values_list("region__code", "indicator__code", "year", "quarter", "version", "value")
    }
    for key, (version, value) in sorted(last.items()):
        if stored.get(key) != (version, value):
            problems.append(
                f"lost update: {key} should end at version {version} = {value}, "
                f"is {stored.get(key)}"
            )

    refused = {
        (code, v)
        for w in writes
        if not w.accepted
        for code, raw in w.values.items()
        if (v := _int(raw)) is not None and v >= 0
    }
    for code in INDICATORS:
        values = {v for c, v in refused if c == code}
        for chunk in (sorted(values)[i : i + 5000] for i in range(0, len(values), 5000)):
            leaked = set(
                QuarterlyCount.objects.filter(indicator__code=code, value__in=chunk).values_list(
                    "value", flat=True
                )
            ) | set(
                CountEvent.objects.filter(
                    pk__gt=after_event, count__indicator__code=code, new_value__in=chunk
                ).values_list("new_value", flat=True)
            )
            for v in sorted(leaked):
                problems.append(f"refused write stored: {code} = {v}")

    fields = [f.attname for f in RollupCell._meta.concrete_fields if not f.primary_key]
    incremental = set(RollupCell.objects.values_list(*fields))

    class _Undo(Exception):
        pass

    try:
        with transaction.atomic():
            rollups_rebuild()
            rebuilt = set(RollupCell.objects.values_list(*fields))
            raise _Undo
    except _Undo:
        pass
    if incremental != rebuilt:
        diff = sorted(incremental ^ rebuilt)[:5]
        problems.append(
            f"roll-ups differ from a rebuild in {len(incremental ^ rebuilt)} cells, e.g. {diff}"
        )
    return result
