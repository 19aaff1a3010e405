"""The shape of the code (docs/architecture.md), read from the source: small modules, each
opening with what it holds, and imports that never run back up the layers.

Nothing is imported or run: every rule is checked on the parsed source (``ast``), so a module
that breaks one is named even if nothing imports it yet.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("indicators", "regions", "certtrack", "tasks", "work", "notifications", "register")
MAX_LINES = 650  # "about 600" (docs/architecture.md): past it a module becomes a package

SELECTORS = ("indicators.selectors", "regions.selectors", "tasks.selectors", "register.selectors")
SERVICES = ("indicators.services", "regions.services", "indicators.rollups", "tasks.services")
SERVICES += ("register.services",)
VIEWS = ("indicators.views", "indicators.urls", "certtrack.views", "certtrack.urls")
VIEWS += ("tasks.views", "tasks.urls", "register.views", "register.urls")
FORMS_TABLES = ("indicators.forms", "indicators.tables", "indicators.filters")
FORMS_TABLES += ("tasks.forms", "tasks.filters", "register.forms", "register.tables")
FORMS_TABLES += ("register.filters",)
PURE = ("indicators.charts", "indicators.exports", "indicators.datasets", "indicators.imports")
PURE += ("indicators.xlsx",)
PURE += ("tasks.exports", "tasks.datasets", "tasks.attachments")
PURE += ("register.imports", "register.charts", "register.datasets")
# The pure rules every write shares (parse_count, ...): forms and the Excel parser give the same
# messages as the services by calling them, so they may be imported from anywhere.
SHARED_RULES = ("indicators.services.validation",)

# (who, what it may not import). Services may import selectors; views import both.
LAYERS = [
    (
        "models",
        ("indicators.models", "regions.models", "indicators.periods", "indicators.progress")
        + ("tasks.models", "tasks.periods", "register.models"),
        SELECTORS + SERVICES + VIEWS + FORMS_TABLES + PURE,
    ),
    ("selectors", SELECTORS, SERVICES + VIEWS + FORMS_TABLES + PURE),
    ("services", SERVICES, VIEWS + FORMS_TABLES + ("indicators.charts", "indicators.datasets")),
    ("pure outputs", PURE, SERVICES + VIEWS + FORMS_TABLES),
]


def modules() -> list[tuple[str, Path]]:
    """Every Python module of the apps (migrations aside), as (dotted name, path)."""
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((".".join(parts), path))
    return found


def imported(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, at the top or inside a function (``from a import b`` gives
    both ``a`` and ``a.b``, since ``b`` may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_no_module_of_the_apps_is_over_the_limit():
    too_long = {
        str(path.relative_to(ROOT)): n
        for _name, path in modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_LINES
    }
    assert too_long == {}, "split these into a package (docs/architecture.md)"


@pytest.mark.parametrize(("layer", "members", "forbidden"), LAYERS, ids=[x[0] for x in LAYERS])
def test_no_import_runs_back_up_the_layers(layer, members, forbidden):
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules()
        if within(name, members)
        for target in imported(name, path)
        if within(target, forbidden) and not within(target, SHARED_RULES)
    )
    assert wrong == [], f"{layer} may not import these (docs/architecture.md)"


def test_the_layer_check_sees_an_import_inside_a_function(tmp_path):
    """The check reads imports anywhere in a module, relative ones too, so a selector cannot
    hide a service import in a function body."""
    path = tmp_path / "values.py"
    path.write_text(
        "def f():\n"
        "    from indicators.services.counts import counts_save\n"
        "    from ..views import dashboards\n"
    )
    found = imported("indicators.selectors.values", path)
    assert "indicators.services.counts" in found and "indicators.views.dashboards" in found
    assert within("indicators.services.counts", SERVICES)


def test_only_the_stock_grid_uses_the_databases_sum():
    """Counts are summed in one place (indicators/selectors/values.py, DOMAIN.md's stock rules):
    no other module imports the database's ``Sum`` aggregate."""
    users = sorted(
        name
        for name, path in modules()
        if "django.db.models.Sum" in imported(name, path) and name != "indicators.selectors.values"
    )
    assert users == []


def test_every_module_opens_with_what_it_holds():
    """Every module of the apps (empty ``__init__`` files and migrations aside) opens with a
    docstring saying what lives there, so the folder listing and the first lines are a map."""
    missing = [
        str(path.relative_to(ROOT))
        for _name, path in modules()
        if (source := path.read_text(encoding="utf-8")).strip()
        and not ast.get_docstring(ast.parse(source))
    ]
    assert missing == []
