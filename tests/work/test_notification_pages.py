"""The notifications list and the email preferences page read well in both languages: every
field has its own label, the address field says what it holds, a wrong address is marked, and
an empty list says what will appear there (issue 14, screenshots looked at)."""

from __future__ import annotations

import re

import pytest


def _field_labels(html: str) -> dict[str, str]:
    return dict(re.findall(r'<label for="([^"]+)">([^<]+)</label>', html))


@pytest.mark.parametrize(
    "lang, words",
    [
        ("en", ("Email address", "Send me a daily reminder digest by email", "Language of mails")),
        ("zh-hans", ("电子邮箱", "每天通过电子邮件发送提醒汇总", "邮件语言")),
    ],
)
def test_preferences_page_labels_each_field_in_the_users_language(as_user, people, lang, words):
    html = as_user("official", lang).get("/preferences/").content.decode()
    labels = _field_labels(html)
    assert [labels.get(i) for i in ("id_email", "id_email_enabled", "id_language")] == list(words)
    email = re.search(r'<input type="email"[^>]*>', html).group(0)
    assert 'id="id_email"' in email and 'autocomplete="email"' in email
    assert f'value="{people["official"].email}"' in email
    assert "aria-invalid" not in email
    assert 'class="panel prefs-form"' in html
    assert 'href="/notifications/"' in html  # back to the list


def test_a_wrong_address_is_marked_and_kept(as_user):
    client = as_user("official", "en")
    response = client.post(
        "/preferences/", {"email": "not-an-address", "email_enabled": "on", "language": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    email = re.search(r'<input type="email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in email and 'value="not-an-address"' in email
    assert "errorlist" in html


@pytest.mark.parametrize(
    "lang, words",
    [
        ("en", "No notifications yet. They appear here when a reviewer returns"),
        ("zh-hans", "暂无通知。审核员退回、通过或重新打开您的季度数据"),
    ],
)
def test_an_empty_notification_list_says_what_will_appear(as_user, lang, words):
    html = as_user("official", lang).get("/notifications/").content.decode()
    assert words in html
    assert "read-all" not in html  # nothing to mark as read
