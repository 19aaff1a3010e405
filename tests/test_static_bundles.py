"""The vendored plotly.js partial bundle: present with its licence, the renderer of the plotly
version the figures are built with, and holding every trace type the dashboards draw."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from django.contrib.staticfiles import finders
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_DIR = ROOT / "static" / "vendor" / "plotly"


def bundle_meta() -> dict:
    return json.loads((BUNDLE_DIR / "bundle.json").read_text(encoding="utf-8"))


def trace_types_built_by(module: Path) -> set[str]:
    """Every plotly trace type (``go.Bar`` -> "bar") a module names."""
    names = {
        node.attr
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "go"
    }
    types = set()
    for name in names:
        cls = getattr(go, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseTraceType) and cls is not BaseTraceType:
            types.add(cls().type)
    return types


def test_bundle_file_licence_and_version_header_are_vendored():
    meta = bundle_meta()
    js = BUNDLE_DIR / meta["file"]
    assert (BUNDLE_DIR / "LICENSE").read_text().startswith("MIT License")
    head = js.read_text(encoding="utf-8")[:300]
    assert f"v{meta['version']}" in head and "cartesian" in head
    # A partial bundle: well under the full build's 4.85 MB.
    assert js.stat().st_size < 2_000_000


def test_bundle_is_the_plotly_js_of_the_installed_plotly_package():
    """Figures are built by the Python package against its plotly.js schema; the browser's
    renderer is the same major version (`make plotly` takes the same version by default)."""
    vendored = bundle_meta()["version"].split(".")
    expected = get_plotlyjs_version().split(".")
    assert vendored[0] == expected[0], (vendored, expected)


def test_bundle_holds_every_trace_type_the_charts_build():
    chart_modules = [
        path
        for app in ("indicators", "tasks", "regions")
        for path in (ROOT / app).rglob("*.py")
        if re.search(r"import plotly\.graph_objects as go", path.read_text(encoding="utf-8"))
    ]
    assert chart_modules, "no module builds plotly figures?"
    used = set().union(*(trace_types_built_by(p) for p in chart_modules))
    assert {"scatter", "bar", "heatmap"} <= used
    assert used <= set(bundle_meta()["traces"]), used - set(bundle_meta()["traces"])


def test_static_finders_serve_the_bundle_from_static():
    found = finders.find(f"vendor/plotly/{bundle_meta()['file']}")
    assert found and Path(found).resolve() == (BUNDLE_DIR / bundle_meta()["file"]).resolve()


@pytest.mark.django_db
def test_dashboard_figures_use_only_bundled_traces(demo, client, django_user_model):
    user = django_user_model.objects.get(username="leader_gansu")
    client.force_login(user)
    page = client.get("/regions/620000/").content.decode()
    figures = re.findall(
        r'<script id="chart-[\w-]+-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert len(figures) >= 5
    types = {trace.get("type", "scatter") for f in figures for trace in json.loads(f)["data"]}
    assert types <= set(bundle_meta()["traces"]), types
