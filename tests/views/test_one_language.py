"""One language per page (issue 18, docs/glossary.md): an English page shows no Han characters
and a Chinese page no English words, outside data that exists in one language only.

Chinese-only data (document numbers, names that have no English form) is marked on its element
with ``lang="zh-Hans"`` (screen readers switch voice there too) and is skipped here; so is
English-only data marked ``lang="en"``, codes, numbers and the words of ``ENGLISH_ALLOWED``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

HAN = re.compile(r"[\u3400-\u9fff]")
URL = re.compile(r"https?://\S+|[\w-]*/[\w./?=&%-]+")  # addresses, paths (docs/excel.md)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
# Words a Chinese page may carry: the product and formats; words in capitals are codes (DEMO).
ENGLISH_ALLOWED = {
    "CertTrack", "JSON", "CSV", "Excel", "Word", "PDF", "XLSX", "DOCX", "PNG", "SVG", "MB", "KB",
    "Plotly", "CNAS", "CNCA", "ISO", "GB", "No",
}  # fmt: skip


class _Text(HTMLParser):
    """The visible text of a page, outside elements marked with another language."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area", "base"}
    # <title> cannot mark a part as Chinese: a plan's document number may name the page.
    SKIP = {"script", "style", "template", "title"}

    def __init__(self, other: str):
        super().__init__()
        self.other, self.stack, self.texts = other, [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        lang = (dict(attrs).get("lang") or "").lower()
        # lang="zxx" ("no linguistic content"): a code such as a username, in neither language
        marked = tag != "html" and (lang.startswith(self.other) or lang == "zxx")
        skip = marked or tag in self.SKIP or bool(self.stack and self.stack[-1][1])
        self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if data.strip() and not (self.stack and self.stack[-1][1]):
            self.texts.append(data.strip())


def visible_text(html: str, *, other: str) -> list[str]:
    parser = _Text(other)
    parser.feed(html)
    parser.close()
    return parser.texts


def han_in_english_page(html: str) -> list[str]:
    return [t for t in visible_text(html, other="zh") if HAN.search(t)]


def english_in_chinese_page(html: str) -> list[str]:
    out = []
    for text in visible_text(html, other="en"):
        text = URL.sub("", text)  # the print footer's address
        words = [w for w in WORD.findall(text) if w not in ENGLISH_ALLOWED and not w.isupper()]
        out.extend(w for w in words if len(w) > 1)
    return out


def test_the_checks_themselves():
    page = '<html lang="en"><p>Plan <span lang="zh-Hans">甘政办发〔2018〕145号</span></p><p>由</p>'
    assert han_in_english_page(page) == ["由"]
    page = '<html lang="zh-hans"><p>数据：<a>JSON</a> Open <span lang="en">Beihai</span></p>'
    assert english_in_chinese_page(page) == ["Open"]
    page = '<html lang="zh-hans"><p>用户名 <span lang="zxx">leader_gansu</span></p>'
    assert english_in_chinese_page(page) == []


def _pages():
    from indicators.models import Plan

    plan = Plan.objects.filter(document_number="甘政办发〔2018〕145号").first()
    return [
        reverse("indicators:overview"),
        reverse("indicators:region_dashboard", args=["620000"]),
        reverse("work:home"),
        reverse("indicators:review_queue"),
        reverse("indicators:entry"),
        reverse("indicators:reports"),
        reverse("tasks:board", args=[plan.pk]),
        reverse("indicators:assessment", args=["620000"]),
        reverse("indicators:assessment_weights", args=[plan.pk]),
        # user administration (accounts/): the list, one account, the forms
        reverse("accounts:list"),
        reverse("accounts:detail", args=[_demo_user_pk("official_lanzhou")]),
        reverse("accounts:new"),
        reverse("accounts:import"),
        reverse("accounts:directory_groups"),
    ]


def _demo_user_pk(username: str) -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).pk


@pytest.fixture
def admin_client(demo, client, settings):
    assert client.login(username="admin", password=settings.CERTTRACK["DEMO_PASSWORD"])
    return client


def test_english_pages_show_no_chinese(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    found = {}
    for path in _pages():
        response = admin_client.get(path)
        assert response.status_code == 200, path
        if bad := han_in_english_page(response.content.decode()):
            found[path] = bad[:5]
    assert found == {}


def test_chinese_pages_show_no_english(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    found = {}
    for path in _pages():
        response = admin_client.get(path)
        assert response.status_code == 200, path
        if bad := english_in_chinese_page(response.content.decode()):
            found[path] = sorted(set(bad))[:12]
    assert found == {}
