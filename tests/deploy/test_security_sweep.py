"""Security sweep: every URL pattern of the project, as every demo role.

The patterns are walked from the root resolver, so a view added later is swept without a change
here, unless it takes a URL parameter of a new name: then add it to ``FILL`` (the test says so).
For each role and each URL, in every response (page, JSON, CSV, Excel):

* nothing of a region outside the user's regions: no name (Chinese or English), no code, no
  document number of a plan of such a region. The user's regions are the subtrees of their
  memberships; their ancestors (Gansu above Lanzhou) may be named, their siblings may not;
* a region parameter naming a region outside the user's regions answers 403 or 404, GET or POST;
* a POST carrying a forged region (in the URL, the form, or the query) changes nothing in a
  region outside the user's regions;
* no server error.

Admin URLs are skipped: the admin is for staff, and non-staff are redirected to its sign-in
(tests/views/test_views.py). The last tests check that HTML in a note, a region name or a plan
title comes out escaped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from indicators.models import CountEvent, Plan, QuarterlyCount, Target
from indicators.periods import Quarter
from regions.models import Membership, Region
from regions.selectors import access_for

pytestmark = pytest.mark.django_db

# The views anyone may open without signing in. They show no user's data, so the sweep does not
# look for other regions in them (the sign-in page names both plans); a new public view must be
# added here, after checking it shows nothing of any region's figures.
PUBLIC = {
    "healthz",
    "set_language",
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # the one-time set-password link of a new account (accounts/views.py): a form, no data
    "accounts:set_password",
    "accounts:set_password_done",
    # sign-in through the directory (404 unless OpenID Connect is set up), and its failure page
    "accounts:oidc_start",
    "accounts:oidc_callback",
    "accounts:directory_failed",
}

# Namespaces and URL names the sweep does not request (with the reason).
SKIP_NAMESPACES = {"admin"}  # staff only; non-staff are redirected to its sign-in
SKIP_NAMES = {"logout"}  # would end the session under test


# --- walking the URL patterns ---------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str | None  # "namespace:name"
    route: str  # the pattern as written, for messages
    params: tuple[str, ...]
    public: bool  # login_not_required: the same page for everyone, signed in or not

    def url(self, kwargs: dict[str, str] | None) -> str | None:
        if kwargs is None:
            return None
        if self.name:
            try:
                return reverse(self.name, kwargs={k: kwargs[k] for k in self.params})
            except NoReverseMatch:
                return None
        if not self.params:  # an unnamed pattern without parameters: its route is its URL
            return "/" + self.route.lstrip("^").rstrip("$")
        return None


def _params(pattern) -> tuple[str, ...]:
    regex = pattern.pattern.regex
    return tuple(regex.groupindex)


def walk(
    resolver: URLResolver | None = None, prefix: str = "", ns: str = "", params=()
) -> Iterator[Route]:
    """Every URL pattern under ``resolver`` (the project's root by default), depth first."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        here = params + _params(entry)
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            child_ns = ":".join(p for p in (ns, entry.namespace) if p)
            yield from walk(entry, route, child_ns, here)
        elif isinstance(entry, URLPattern):
            name = f"{ns}:{entry.name}" if ns and entry.name else entry.name
            public = not getattr(entry.callback, "login_required", True)
            yield Route(name, route, tuple(dict.fromkeys(here)), public)


def swept_routes() -> list[Route]:
    routes = []
    for route in walk():
        namespace = route.name.split(":")[0] if route.name and ":" in route.name else ""
        if namespace in SKIP_NAMESPACES or route.route.startswith("admin/"):
            continue
        if route.name and route.name.split(":")[-1] in SKIP_NAMES:
            continue
        routes.append(route)
    return routes


# --- the user's scope and how to fill URL parameters ----------------------------------------


@dataclass
class Scope:
    """What one user may see, and sample values inside and outside it."""

    user: object
    visible: list[Region]  # the subtrees of the memberships
    outside: list[Region]  # neither visible nor an ancestor of a visible region
    markers: list[str]  # strings that must never reach this user
    marker_re: re.Pattern | None

    @property
    def home(self) -> Region:
        reporting = [r for r in self.visible if r.is_reporting_unit]
        return (reporting or self.visible or list(Region.objects.all()))[0]

    def forbidden_regions(self) -> list[Region]:
        """Two regions outside the user's regions: the nearest one (a sibling or cousin under
        the same province, if any) and one in the other plan's province."""
        if not self.outside:
            return []
        home_root = self.home.path.split("/")[1]
        # Reporting units first: they are the ones with counts to leak or to overwrite.
        candidates = sorted(self.outside, key=lambda r: (not r.is_reporting_unit, r.path))
        near = [r for r in candidates if r.path.split("/")[1] == home_root]
        far = [r for r in candidates if r.path.split("/")[1] != home_root]
        return near[:1] + far[:1]


def scope_for(user) -> Scope:
    access = access_for(user)
    regions = list(Region.objects.all())
    visible = [r for r in regions if access.can_view(r)]
    ancestor_codes = {c for r in visible for c in r.ancestor_codes()}
    outside = [r for r in regions if not access.can_view(r) and r.code not in ancestor_codes]
    markers = set()
    for r in outside:
        markers |= {r.code, r.name_zh, r.name_en}
    # Document numbers of the plans of those regions (unless a plan in scope shares one, as the
    # demo plans' placeholder does).
    outside_docs = set(
        Plan.objects.filter(region__in=outside).values_list("document_number", flat=True)
    )
    inside_docs = set(
        Plan.objects.exclude(region__in=outside).values_list("document_number", flat=True)
    )
    markers |= outside_docs - inside_docs
    markers = sorted(m for m in markers if m)
    # Codes only as whole numbers (not inside a longer number); names as they are.
    parts = [rf"(?<!\d){re.escape(m)}(?!\d)" if m.isdigit() else re.escape(m) for m in markers]
    marker_re = re.compile("|".join(parts)) if parts else None
    return Scope(user, visible, outside, markers, marker_re)


def _region_code(scope: Scope, region: Region | None) -> str:
    return (region or scope.home).code


def _region_pk(scope: Scope, region: Region | None) -> str:
    return str((region or scope.home).pk)


def _owned_by(model, scope: Scope, region: Region | None, via: str = "region") -> str | None:
    """The pk of a ``model`` row (with a ``region``, or one reached through ``via``) inside the
    user's regions, or inside ``region`` (outside them); None when there is none."""
    if region is None:
        home = scope.home
        qs = model.objects.filter(**{f"{via}__code__in": [*home.ancestor_codes(), home.code]})
    else:
        qs = model.objects.filter(**{f"{via}__path__startswith": region.path})
    pk = qs.order_by(f"-{via}__path", "pk").values_list("pk", flat=True).first()
    return None if pk is None else str(pk)


def _count_pk(scope: Scope, region: Region | None) -> str | None:
    return _owned_by(QuarterlyCount, scope, region)


def _plan_pk(scope: Scope, region: Region | None) -> str | None:
    return _owned_by(Plan, scope, region)


def _target_pk(scope: Scope, region: Region | None) -> str | None:
    return _owned_by(Target, scope, region)


def _tasks_pk(name: str, via: str) -> Callable[[Scope, Region | None], str | None]:
    """A row of the tasks app (a task, unit, report or attachment) of a plan or unit region."""

    def value(scope: Scope, region: Region | None) -> str | None:
        from django.apps import apps

        return _owned_by(apps.get_model("tasks", name), scope, region, via=via)

    return value


def _accounts_pk(name: str, via: str) -> Callable[[Scope, Region | None], str | None]:
    def value(scope: Scope, region: Region | None) -> str | None:
        from django.apps import apps

        return _owned_by(apps.get_model("accounts", name), scope, region, via=via)

    return value


# URL parameter name -> how to fill it: f(scope, region) where region is None for a value inside
# the user's regions, or a region outside them. Parameters that name a region (or something
# that belongs to one) are marked ``regional``: the sweep also requests them with regions
# outside the user's and expects 403/404.
@dataclass(frozen=True)
class Fill:
    value: Callable[[Scope, Region | None], str | None]
    regional: bool = False
    variants: tuple[str, ...] = ()  # further values the sweep requests too (each data format)


def const(value: str, *variants: str) -> Fill:
    return Fill(lambda scope, region: value, variants=variants)


LAST = Quarter.last_complete()
FILL: dict[str, Fill] = {
    # regions
    "code": Fill(_region_code, regional=True),
    "region": Fill(_region_code, regional=True),
    "region_code": Fill(_region_code, regional=True),
    "region_id": Fill(_region_pk, regional=True),
    "region_pk": Fill(_region_pk, regional=True),
    # things that belong to a region
    "pk": Fill(_count_pk, regional=True),
    "count": Fill(_count_pk, regional=True),
    "count_id": Fill(_count_pk, regional=True),
    "count_pk": Fill(_count_pk, regional=True),
    "plan": Fill(_plan_pk, regional=True),
    "plan_id": Fill(_plan_pk, regional=True),
    "plan_pk": Fill(_plan_pk, regional=True),
    "target_id": Fill(_target_pk, regional=True),
    "target_pk": Fill(_target_pk, regional=True),
    # the plans' tasks, their units, reports and attachments (tasks app)
    "task_id": Fill(_tasks_pk("Task", "plan__region"), regional=True),
    "unit_id": Fill(_tasks_pk("Unit", "region"), regional=True),
    "report_id": Fill(_tasks_pk("TaskReport", "task__plan__region"), regional=True),
    "attachment_id": Fill(_tasks_pk("TaskAttachment", "report__task__plan__region"), regional=True),
    # a directory group's mapping to a region and role (accounts: /users/directory-groups/)
    "mapping_id": Fill(_accounts_pk("DirectoryGroupMapping", "region"), regional=True),
    # a role of an account (accounts: /users/<pk>/roles/<membership_id>/remove/)
    "membership_id": Fill(
        lambda scope, region: _owned_by(Membership, scope, region), regional=True
    ),
    # periods and indicators
    "year": const(str(LAST.year)),
    "quarter": const(str(LAST.quarter)),
    "period": const(str(LAST)),
    "indicator": const("certificates"),
    "indicator_code": const("certificates"),
    "format": const("xlsx"),
    # data endpoints: every dataset in every format (a value a route does not take is skipped)
    "fmt": const("json", "csv", "xlsx"),
    "dataset": const("targets", "trends", "series", "children", "completeness"),
    "lang": const("en"),
    # a kind of to-do item (work: /home/<kind>/, the paginated full lists)
    "kind": const("waiting", "official", "late", "targets", "scope_late"),
    # django.contrib.auth's password reset link
    "uidb64": const("MQ"),
    "token": const("set-password"),
}


def swept_variants(scope: Scope) -> Iterator[tuple[Route, dict[str, str] | None]]:
    """Each route with its parameters filled inside the user's regions, once per variant of
    every parameter that has variants (every dataset and format of a data endpoint)."""
    for route in swept_routes():
        base = fill(route, scope)
        yield route, base
        if base is None:
            continue
        for param in route.params:
            for variant in FILL[param].variants:
                yield route, {**base, param: variant}


def fill(route: Route, scope: Scope, outside: Region | None = None, param: str | None = None):
    """kwargs for ``route``: every parameter inside the user's regions, except ``param``, which
    gets ``outside``; None where no such value exists (no plan of that region, say)."""
    missing = [p for p in route.params if p not in FILL]
    if missing:
        pytest.fail(
            f"URL {route.route!r} ({route.name}) takes {missing}: add them to FILL in "
            "tests/deploy/test_security_sweep.py so the security sweep can request it"
        )
    kwargs = {p: FILL[p].value(scope, outside if p == param else None) for p in route.params}
    return None if None in kwargs.values() else kwargs


# --- reading any response --------------------------------------------------------------------


def body_text(response) -> str:
    """The text a user gets: HTML/JSON/CSV decoded, an Excel workbook's sheet names and cells,
    a Word document's paragraphs, table cells, header and footer."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    ctype = response.get("Content-Type", "")
    if "wordprocessingml" in ctype:
        import docx

        document = docx.Document(io.BytesIO(content))
        parts = [p.text for p in document.paragraphs]
        parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
        for section in document.sections:
            parts += [p.text for p in (*section.header.paragraphs, *section.footer.paragraphs)]
        return "\n".join(parts)
    if "spreadsheetml" in ctype or content[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        try:
            cells = [ws.title for ws in book.worksheets]
            for ws in book.worksheets:
                for row in ws.iter_rows(values_only=True):
                    cells.extend(str(v) for v in row if v is not None)
        finally:
            book.close()
        return "\n".join(cells)
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese CSV may come in either
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("utf-8", errors="replace")


def forbidden_rows(scope: Scope) -> tuple:
    """Everything stored for the regions outside the user's: must not change under a forged POST."""
    regions = [r.pk for r in scope.outside]
    return (
        list(QuarterlyCount.objects.filter(region__in=regions).order_by("pk").values_list()),
        list(CountEvent.objects.filter(count__region__in=regions).order_by("pk").values_list()),
        list(Target.objects.filter(region__in=regions).order_by("pk").values_list()),
        list(Plan.objects.filter(region__in=regions).order_by("pk").values_list()),
        list(Membership.objects.filter(region__in=regions).order_by("pk").values_list()),
    )


def forged_form(region: Region) -> dict[str, str]:
    """A POST body that names a region outside the user's in every usual way."""
    return {
        "region": region.code,
        "region_code": region.code,
        "region_id": str(region.pk),
        "code": region.code,
        "indicator": "certificates",
        "year": str(LAST.year),
        "quarter": str(LAST.quarter),
        "period": str(LAST),
        "value": "999999",
        "note": "forged",
        "comment": "forged",
        "status": "approved",
        "action": "approve",
    }


def forged_query(region: Region) -> str:
    return (
        f"?region={region.code}&region_code={region.code}&code={region.code}&region_id={region.pk}"
    )


# --- the sweep -------------------------------------------------------------------------------

ROLES = [
    "useradmin_gansu",
    "official_lanzhou",
    "official_beihai",
    "reviewer_gansu",
    "reviewer_beihai",
    "leader_gansu",
    "leader_beihai",
    "analyst",
    "admin",
]


def test_the_public_views_are_the_known_ones():
    public = {r.name for r in walk() if r.public and not r.route.startswith("admin/")}
    assert public == PUBLIC


def test_the_walk_finds_the_projects_urls():
    names = {r.name for r in walk()}
    assert {"indicators:overview", "healthz", "login", "set_language", "admin:index"} <= names
    swept = {r.name for r in swept_routes()}
    assert "indicators:overview" in swept and "admin:index" not in swept


def test_scopes_are_what_the_demo_says(demo):
    User = get_user_model()
    lanzhou = scope_for(User.objects.get(username="official_lanzhou"))
    assert (
        "620200" in lanzhou.markers and "北海市" in lanzhou.markers and "Beihai" in lanzhou.markers
    )
    assert "620000" not in lanzhou.markers  # its province, an ancestor, may be named
    assert "620171" not in lanzhou.markers  # 兰州新区 is inside Lanzhou
    assert "北政办〔2018〕200号" in lanzhou.markers
    beihai = scope_for(User.objects.get(username="leader_beihai"))
    assert (
        "甘肃省" in beihai.markers and "620100" in beihai.markers and "450000" not in beihai.markers
    )
    assert scope_for(User.objects.get(username="admin")).markers == []


@pytest.mark.parametrize("username", ROLES)
def test_nothing_outside_the_users_regions_is_returned_or_written(username, demo, client):
    user = get_user_model().objects.get(username=username)
    scope = scope_for(user)
    forbidden = scope.forbidden_regions()
    client.force_login(user)
    problems: list[str] = []

    def leaks(url: str, response, public: bool, echo: str = "") -> None:
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            return
        if scope.marker_re is None or public:
            return
        text = body_text(response)
        if echo:  # pages repeat their own URL (language switch, print footer): not a leak
            text = text.replace(echo, "").replace(echo.replace("&", "&amp;"), "")
            # nor is a filter form showing back what was typed into it
            for value in set(re.findall(r"=([^&]+)", echo)):
                text = text.replace(f'value="{value}"', "")
        found = scope.marker_re.findall(text)
        if found:
            problems.append(f"{url}: shows {sorted(set(found))[:5]} outside the user's regions")

    def request(method: str, url: str, data=None):
        if "_auth_user_id" not in client.session:  # a swept view may have ended the session
            client.force_login(user)
        return client.get(url) if method == "GET" else client.post(url, data or {})

    swept = 0
    for route, kwargs in swept_variants(scope):
        url = route.url(kwargs)
        if url is None:
            continue
        swept += 1
        before = forbidden_rows(scope)
        leaks(url, request("GET", url), route.public)
        for region in forbidden:
            query = forged_query(region)
            leaks(url + query, request("GET", url + query), route.public, echo=query)
            leaks(url, request("POST", url, forged_form(region)), route.public)
        # Each regional parameter set to a region outside the user's: refused.
        for param in route.params:
            if not FILL[param].regional:
                continue
            for region in forbidden:
                bad = route.url(fill(route, scope, region, param))
                if bad is None or bad == url:
                    continue
                for method in ("GET", "POST"):
                    response = request(method, bad, forged_form(region))
                    if response.status_code not in (403, 404, 405):
                        problems.append(
                            f"{method} {bad} ({param} outside the user's regions): "
                            f"{response.status_code}, expected 403/404"
                        )
        if forbidden_rows(scope) != before:
            problems.append(f"{url}: a forged POST changed data outside the user's regions")
    assert swept >= 5
    assert problems == [], "\n".join(problems)


# --- escaping ----------------------------------------------------------------------------------

PAYLOADS = {
    "plan title": "<script>alert('plan')</script>",
    "region name": "<img src=x onerror=alert('region')>",
    "note": "<script>alert('note')</script>",
    "review comment": "<b onmouseover=alert('comment')>x</b>",
}
FORMULA = '=HYPERLINK("http://example.invalid/","click")'


@pytest.fixture
def hostile_text(demo):
    """User-entered text with HTML and script in it, in every place a user can type."""
    plan = Plan.objects.get(document_number="甘政办发〔2018〕145号")
    plan.title_zh = plan.title_en = PAYLOADS["plan title"]
    plan.save()
    lanzhou = Region.objects.get(code="620100")
    lanzhou.name_zh = lanzhou.name_en = PAYLOADS["region name"]
    lanzhou.save()
    counts = QuarterlyCount.objects.filter(region=lanzhou)
    counts.update(note=PAYLOADS["note"] + FORMULA, review_comment=PAYLOADS["review comment"])
    CountEvent.objects.filter(count__region=lanzhou).update(comment=PAYLOADS["note"])
    return PAYLOADS


def test_html_in_a_plan_title_comes_out_escaped_on_the_overview(hostile_text, client):
    client.force_login(get_user_model().objects.get(username="leader_gansu"))
    page = client.get("/").content.decode()
    assert "&lt;script&gt;alert(&#x27;plan&#x27;)&lt;/script&gt;" in page
    assert PAYLOADS["plan title"] not in page


@pytest.mark.parametrize("username", ["official_lanzhou", "leader_gansu", "analyst", "admin"])
def test_html_in_user_text_is_escaped_on_every_page(username, hostile_text, client):
    """Raw payloads never reach an HTML page; JSON is served as JSON (never sniffed as HTML);
    in CSV and Excel, text that looks like a formula is not a formula."""
    user = get_user_model().objects.get(username=username)
    scope = scope_for(user)
    client.force_login(user)
    problems = []
    for route in swept_routes():
        url = route.url(fill(route, scope))
        if url is None:
            continue
        if "_auth_user_id" not in client.session:
            client.force_login(user)
        response = client.get(url)
        ctype = response.get("Content-Type", "")
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if "html" in ctype:
            text = content.decode("utf-8", errors="replace")
            problems += [f"{url}: raw {k}" for k, p in PAYLOADS.items() if p in text]
        elif "spreadsheetml" in ctype:
            book = openpyxl.load_workbook(io.BytesIO(content), data_only=False)
            for ws in book.worksheets:
                for row in ws.iter_rows():
                    for cell in row:
                        if cell.data_type == "f" and "example.invalid" in str(cell.value):
                            problems.append(
                                f"{url}: user text became a formula in {cell.coordinate}"
                            )
        elif "csv" in ctype:
            text = body_text(response)
            if re.search(r'(^|[,;\t"])=HYPERLINK', text, re.M):
                problems.append(f"{url}: user text starts a CSV field with '='")
        elif content.lstrip()[:1] in (b"{", b"["):
            if "json" not in ctype:
                problems.append(f"{url}: JSON served as {ctype!r}")
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
    assert problems == [], "\n".join(problems)
