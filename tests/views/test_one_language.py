"""One language per page (issue 18, docs/glossary.md): an English page shows no Han characters
and a Chinese page no English words, outside data that exists in one language only.

Chinese-only data (document numbers, names that have no English form) is marked on its element
with ``lang="zh-Hans"`` (screen readers switch voice there too) and is skipped here; so is
English-only data marked ``lang="en"``, codes, numbers and the words of ``ENGLISH_ALLOWED``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    "Control", "Command", "Mac",  # key names, as printed on keyboards (the admin's multi-select)
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


def english_in_chinese_page(html: str, *, data: Sequence[str] = ()) -> list[str]:
    """English words of a Chinese page; ``data``: strings that exist in one form only (user
    names, mail addresses, regions' English names in the admin's column of them)."""
    out = []
    for text in visible_text(html, other="en"):
        text = URL.sub("", text)  # the print footer's address
        for item in data:
            text = text.replace(item, "")
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


def _admin_pages():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.get(username="official_lanzhou")
    group, _ = Group.objects.get_or_create(name="审核组")
    return [
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{user.pk}/change/",
        f"/admin/auth/user/{user.pk}/password/",
        "/admin/auth/group/add/",
        f"/admin/auth/group/{group.pk}/change/",
        "/admin/regions/region/",
        "/admin/regions/membership/add/",
        "/admin/indicators/plan/",
        "/admin/indicators/target/add/",
        "/admin/indicators/quarterlycount/",
        "/admin/tasks/unit/add/",
        "/admin/notifications/sentmail/",
    ]


def _admin_data() -> list[str]:
    """What the admin shows as stored: usernames, mail addresses, regions' English names, the
    stored password's algorithm and masked digest."""
    from django.contrib.auth import get_user_model

    from regions.models import Region

    users = get_user_model().objects.values_list("username", "email")
    from django.contrib.auth.hashers import get_hashers

    words = [w for pair in users for w in pair if w] + [h.algorithm for h in get_hashers()]
    words += list(Region.objects.values_list("name_en", flat=True))
    return sorted(set(words), key=len, reverse=True)  # longest first: an address before its name


MASKED = re.compile(r"\S*\*{4,}\S*")  # the password hash's masked salt and digest


def test_chinese_admin_pages_show_no_english(admin_client):
    """The admin on a Chinese page (issue 26.3): Django's strings its zh_Hans catalogue lacks
    (certtrack/locale_django), permissions by their translated model names, the password form's
    warning; only stored data stays as it is."""
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    data = _admin_data()
    found = {}
    for path in _admin_pages():
        response = admin_client.get(path)
        assert response.status_code == 200, path
        html = MASKED.sub("", response.content.decode())
        if bad := english_in_chinese_page(html, data=data):
            found[path] = sorted(set(bad))[:12]
    assert found == {}


def test_the_admins_script_strings_are_chinese_on_a_chinese_page(admin_client):
    """Every string the admin's scripts translate (SelectFilter2.js: "Choose 组 by selecting
    them", …) is in the catalogue a Chinese page loads."""
    import json
    from pathlib import Path

    import django

    admin_js = Path(django.__file__).parent / "contrib" / "admin" / "static" / "admin" / "js"
    used = set()
    for path in admin_js.rglob("*.js"):
        if "vendor" in path.parts:
            continue
        for quote in ("'", '"'):
            q = re.escape(quote)
            used |= set(
                re.findall(rf"gettext\(\s*{q}((?:[^{q}\\]|\\.)+){q}\s*\)", path.read_text())
            )
    used = {u.replace("\\'", "'").replace('\\"', '"') for u in used}
    assert 'Choose %s by selecting them and then select the "Choose" arrow button.' in used
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    script = admin_client.get("/admin/jsi18n/").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.S).group(1))
    missing = sorted(u for u in used if u not in catalog and re.search("[a-z]{3}", u))
    assert missing == []


def test_new_user_page_asks_for_a_real_name_and_permissions_read_in_chinese(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = admin_client.get("/admin/auth/user/add/").content.decode()
    assert 'name="first_name"' in page and "姓名" in page
    response = admin_client.post(
        "/admin/auth/user/add/",
        {"username": "zhangsan", "first_name": "张三", "email": "zs@example.org",
         "usable_password": "true", "password1": "Qz8-long-enough", "password2": "Qz8-long-enough",
         "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="zhangsan")
    assert (user.first_name, user.email) == ("张三", "zs@example.org")
    group = admin_client.get("/admin/auth/group/add/").content.decode()
    assert "认证和授权 | 用户 | 可以添加用户" in group and "Can add" not in group


def test_english_admin_pages_show_no_chinese_outside_data(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    found = {}
    for path in ["/admin/", "/admin/auth/user/add/", "/admin/auth/group/add/"]:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        if bad := han_in_english_page(response.content.decode()):
            found[path] = bad[:5]
    assert found == {}


def _brief_texts(client, language: str) -> list[str]:
    import io

    from docx import Document

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.get(
        reverse("indicators:report_brief"),
        {"region": "620000", "as_of": "2026Q3", "values": "approved"},
    )
    assert response.status_code == 200
    doc = Document(io.BytesIO(b"".join(response.streaming_content)))
    texts = [p.text for p in doc.paragraphs]
    texts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    for section in doc.sections:
        texts += [p.text for p in section.footer.paragraphs + section.header.paragraphs]
    return [t for t in texts if t.strip()]


def test_the_chinese_word_brief_has_no_english(admin_client):
    found = []
    for text in _brief_texts(admin_client, "zh-hans"):
        text = URL.sub("", text)
        words = [w for w in WORD.findall(text) if w not in ENGLISH_ALLOWED and not w.isupper()]
        found += [w for w in words if len(w) > 1]
    assert sorted(set(found)) == []


def test_the_english_word_brief_has_no_chinese_outside_documents_names(admin_client):
    from indicators.models import Plan

    # a plan's title and document number exist in Chinese only (glossary: shown as written)
    data = [
        v for p in Plan.objects.all() for v in (p.title_zh, p.document_number, p.issuer_zh) if v
    ]
    found = []
    for text in _brief_texts(admin_client, "en"):
        for item in sorted(data, key=len, reverse=True):
            text = text.replace(item, "")
        if HAN.search(text):
            found.append(text[:80])
    assert found == []
