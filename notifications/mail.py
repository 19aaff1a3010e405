"""A digest as a mail: subject, plain text and HTML in the reader's language, every item with
a link to the page where it is acted on (``CERTTRACK_BASE_URL`` + the page's path). No
database writes and no sending here (reminders.py sends)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from certtrack.paths import path_for
from notifications.digests import Digest
from notifications.selectors import mail_address, preference_of
from regions.people import display_name


@dataclass(frozen=True)
class Line:
    text: str
    url: str
    note: str = ""  # written by a user (a reviewer's reason): quoted in the plain text

    @property
    def quoted_note(self) -> str:
        """The note for the plain text, each line indented under its item behind "> "."""
        return quoted(self.note).replace("\n", "\n  ")


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line]

    # The lines as the mail shows them, written here rather than by a template loop: a digest
    # of a national reviewer lists thousands, and send_reminders renders 2,000 digests a run.
    @property
    def text_lines(self) -> str:
        """The plain text's lines: each item, its quoted note, its link."""
        return "".join(
            f"- {line.text}"
            + (f"\n  {line.quoted_note}" if line.note else "")
            + f"\n  {line.url}\n"
            for line in self.lines
        )

    @property
    def html_lines(self) -> str:
        """The HTML list's items, escaped."""
        return mark_safe(  # noqa: S308  every value is escaped here
            "".join(
                f'<li><a href="{escape(line.url)}">{escape(line.text)}</a>'
                + (f"<br><em>{escape(line.note)}</em>" if line.note else "")
                + "</li>\n  "
                for line in self.lines
            )
        )


def absolute(path: str) -> str:
    return settings.CERTTRACK_BASE_URL + path


def _days(item) -> str:
    if item.overdue:
        return ngettext("%(days)s day overdue", "%(days)s days overdue", item.days_overdue) % {
            "days": item.days_overdue
        }
    if item.on_time_past_due:
        return _("first submitted on time")
    return ngettext("%(days)s day left", "%(days)s days left", item.days_left) % {
        "days": item.days_left
    }


def _line(name: str, text: str) -> str:
    """``name: text`` with the punctuation of the active language (a full-width colon in
    Chinese)."""
    return pgettext("mail line", "%(name)s: %(text)s") % {"name": name, "text": text}


def quoted(text: str) -> str:
    """User-written text for a plain-text mail: every line (whatever breaks it: CR, LF, a
    Unicode line separator) behind "> ", so none starts at the left margin where it could pose
    as a header, a section or a link of the mail."""
    lines = (text or "").splitlines() or [""]
    return "\n".join("> " + line for line in lines)


def _official_line(item) -> Line:
    name = f"{item.region.name} {item.period}"
    if item.status == "returned":
        label = _("Reopened") if item.reopened else _("Returned")
        note = item.comment
        text = _("%(name)s: %(label)s by %(who)s") % {"name": name, "label": label, "who": item.by}
    else:
        label = _("Draft not submitted") if item.status == "draft" else _("Not reported")
        deadline = item.last_day.isoformat()
        text = _("%(name)s: %(label)s, deadline %(deadline)s (%(days)s)") % {
            "name": name,
            "label": label,
            "deadline": deadline,
            "days": _days(item),
        }
        note = ""
    return Line(text, absolute(item.entry_url), note)


def sections_of(digest: Digest) -> list[Section]:
    """The digest's sections as titled lines with links, in the active language."""
    out = []
    if digest.official:
        out.append(
            Section(
                _("Quarters that need your action"), [_official_line(i) for i in digest.official]
            )
        )
    if digest.tasks_due:
        lines = [
            Line(
                _line(
                    f"{d.task.number_label} · {d.unit} · {d.period}",
                    _("deadline %(deadline)s") % {"deadline": d.deadline.isoformat()}
                    + (pgettext("mail line", " (overdue)") if d.overdue else ""),
                ),
                absolute(d.url),
            )
            for d in digest.tasks_due
        ]
        out.append(Section(_("Progress reports your units owe"), lines))
    if digest.waiting or digest.tasks_waiting:
        lines = [
            Line(
                _line(
                    f"{i.region.name} {i.period}",
                    ngettext("waiting %(days)s day", "waiting %(days)s days", i.waited_days or 0)
                    % {"days": i.waited_days or 0},
                ),
                absolute(i.review_url),
            )
            for i in digest.waiting
        ]
        lines += [
            Line(
                f"{r.task.number_label} · {r.unit} · {r.period}",
                absolute(r.get_absolute_url()),
            )
            for r in digest.tasks_waiting
        ]
        out.append(Section(_("Submissions waiting for your review"), lines))
    if digest.no_official:
        lines = [
            Line(
                _line(f"{i.region.name} {i.period}", _days(i)),
                absolute(path_for("indicators:review_queue")),
            )
            for i in digest.no_official
        ]
        out.append(Section(_("Late units without any official"), lines))
    if digest.leader_summary:
        lines = [
            Line(
                _line(
                    pgettext("mail line", "%(target)s (%(due)s)")
                    % {
                        "target": f"{r.target.region.name} · {r.target.indicator.name} "
                        f"≥ {r.target.value:,}",
                        "due": r.target.due,
                    },
                    str(r.progress.status.label),
                ),
                absolute(path_for("indicators:region_dashboard", r.target.region.code)),
            )
            for r in digest.targets
        ]
        lines += [
            Line(
                _("%(region)s has not reported %(period)s (%(days)s)")
                % {"region": i.region.name, "period": i.period, "days": _days(i)},
                absolute(path_for("indicators:region_dashboard", i.region.code)),
            )
            for i in digest.late
        ]
        out.append(Section(_("Weekly summary: targets that need attention and late units"), lines))
    return out


def digest_subject(digest: Digest) -> str:
    """The mail's subject, in the active language: the number of items that wait for the
    reader's own action; the leaders' weekly summary (information, not to-do) is titled as a
    summary, alone or beside them."""
    day = digest.day.isoformat()
    actions = (
        len(digest.official)
        + len(digest.tasks_due)
        + len(digest.waiting)
        + len(digest.tasks_waiting)
        + len(digest.no_official)
    )
    if digest.leader_summary and not actions:
        return _(
            "CertTrack weekly summary (%(day)s): %(targets)s targets need attention, "
            "%(late)s units late"
        ) % {"day": day, "targets": len(digest.targets), "late": len(digest.late)}
    if digest.leader_summary:
        return ngettext(
            "CertTrack: %(n)s item waits for you, and the weekly summary (%(day)s)",
            "CertTrack: %(n)s items wait for you, and the weekly summary (%(day)s)",
            actions,
        ) % {"n": actions, "day": day}
    return ngettext(
        "CertTrack: %(n)s item waits for you (%(day)s)",
        "CertTrack: %(n)s items wait for you (%(day)s)",
        actions,
    ) % {"n": actions, "day": day}


def digest_message(digest: Digest, *, connection=None) -> EmailMultiAlternatives:
    """The digest as a mail to the user's address, in their language (text + HTML)."""
    user = digest.user
    with translation.override(preference_of(user).mail_language):
        sections = sections_of(digest)
        subject = digest_subject(digest)
        context = {
            "user": user,
            "name": display_name(user),
            "sections": sections,
            "home": absolute(path_for("work:home")),
            "preferences": absolute(path_for("notifications:preferences")),
            "day": digest.day,
            "subject": subject,
        }
        text = render_to_string("notifications/mail/digest.txt", context)
        html = render_to_string("notifications/mail/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[mail_address(user)], connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(*, user, token: str, connection=None) -> EmailMultiAlternatives:
    """The mail proving a new address: a link to confirm it, sent to that address only, in
    the user's language."""
    with translation.override(preference_of(user).mail_language):
        days = settings.CERTTRACK["EMAIL_CONFIRM_DAYS"]
        context = {
            "name": display_name(user),
            "username": user.get_username(),
            "address": user.email,
            "url": absolute(reverse("notifications:confirm_email", args=[token])),
            "days": days,
        }
        subject = _("CertTrack: confirm your email address")
        text = render_to_string("notifications/mail/confirm_email.txt", context)
    return EmailMultiAlternatives(
        subject=subject, body=text, to=[user.email], connection=connection
    )
