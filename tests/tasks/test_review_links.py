"""A task report waiting for review is linked to its page (read it, review it there), never to
``tasks:review``, which takes only the reviewer's POST (a GET there is a bare 405): on the
reviewer's to-do home and in the reminder digest."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.digests import digest_for
from notifications.mail import sections_of
from tests.tasks.conftest import make_report, task, unit


def test_reviewers_home_and_digest_link_to_the_reports_page(gansu, people):
    report = make_report(
        task(gansu, 8), unit("省发展改革委"), "2026H1", "submitted", by=people["fgw"]
    )
    page_url = reverse("tasks:report", args=[report.task_id, report.unit_id, "2026H1"])
    post_only = reverse("tasks:review", args=[report.pk])
    client = Client()
    client.force_login(people["reviewer"])
    assert client.get(post_only).status_code == 405  # why the links must not point there

    home = client.get("/home/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{page_url}"' in home and f'href="{post_only}"' not in home
    assert client.get(page_url).status_code == 200

    later = timezone.localdate(report.submitted_at) + dt.timedelta(days=30)
    links = [
        line.url
        for section in sections_of(digest_for(people["reviewer"], day=later))
        for line in section.lines
    ]
    assert any(link.endswith(page_url) for link in links)
    assert not any(link.endswith(post_only) for link in links)
