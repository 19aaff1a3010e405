"""Every link opens (issue 22.10): for each demo role, follow the same-site links of every page
the role reaches from its home, breadth first, and fail on any link that answers 4xx or 5xx.

Bounded so that it runs in a minute or so: URLs that differ only in their numbers (ids, region
codes, quarters) or in the values of their query string are one pattern, of which at most
``PER_PATTERN`` are opened; at most ``PER_ROLE`` pages per role. Downloads (Excel, Word, CSV,
JSON) are opened and checked for their status, not parsed for links.
"""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

PER_PATTERN = 2
PER_ROLE = 120
ROLES = [
    "official_lanzhou",
    "official_beihai",
    "official_fgw",
    "official_lanzhou_gov",
    "reviewer_gansu",
    "reviewer_beihai",
    "leader_gansu",
    "leader_beihai",
    "analyst",
    "manager_gansu",
    "admin",
]
HREF = re.compile(r'href="([^"]+)"')
# Not pages: leaving the site's pages, the admin's own site (Django's), static files, sign-out.
SKIP = re.compile(r"^/(static|media|admin|accounts/logout|logout|i18n)/|^/favicon")


def pattern(url: str) -> str:
    """A URL's shape: numbers become N, query values dropped (keys kept, sorted)."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "N", parts.path)
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


def links(page: str, base: str) -> list[str]:
    out = []
    for raw in HREF.findall(page):
        href = unescape(raw)
        if href.startswith(("mailto:", "tel:", "javascript:", "#", "data:")):
            continue
        url = urldefrag(urljoin("http://testserver" + base, href))[0]
        parts = urlsplit(url)
        if parts.netloc != "testserver":
            continue
        local = parts.path + ("?" + parts.query if parts.query else "")
        if not SKIP.search(parts.path):
            out.append(local)
    return out


def crawl(client: Client, start: str = "/") -> tuple[list[tuple[str, int, str]], int]:
    """Breadth first from ``start``; returns the broken links (url, status, found on) and the
    number of pages opened."""
    seen_urls: set[str] = set()
    per_pattern: dict[str, int] = {}
    queue = deque([(start, "(start)")])
    broken = []
    opened = 0
    while queue and opened < PER_ROLE:
        url, found_on = queue.popleft()
        if url in seen_urls:
            continue
        shape = pattern(url)
        if per_pattern.get(shape, 0) >= PER_PATTERN:
            continue
        seen_urls.add(url)
        per_pattern[shape] = per_pattern.get(shape, 0) + 1
        response = client.get(url, follow=True)
        opened += 1
        if response.status_code >= 400:
            broken.append((url, response.status_code, found_on))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)  # the whole download must be written
            continue
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        for link in links(response.content.decode(), urlsplit(final).path):
            if link not in seen_urls:
                queue.append((link, url))
    return broken, opened


@pytest.mark.django_db
def test_every_link_every_demo_role_sees_opens(demo):
    """One demo, every role in turn (seeding the demo once keeps the crawl to about a minute)."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}
    assert set(users) == set(ROLES)
    problems = {}
    for username in ROLES:
        client = Client()
        client.force_login(users[username])
        broken, opened = crawl(client)
        assert opened > 5, f"{username} reached only {opened} pages"
        if broken:
            problems[username] = broken
    assert problems == {}, f"links that do not open: {problems}"
