"""The quarterly progress brief (工作简报) as a Word document leaders can edit and forward.

Pure: ``BriefData`` (indicators/selectors/brief.py, the region dashboard's rows) in, a
python-docx ``Document`` out (no ORM, no request); the view saves it into the response. Every
number is one the dashboard and its JSON show (docs/brief.md); every sentence is made from those
numbers and the statuses of docs/progress.md, nothing about causes. Words follow the active
language (Chinese first, English). Layout and fonts: brief_word.py; charts: brief_chart.py.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from indicators.exports import brief_word as word
from indicators.exports.brief_chart import ChartLabels, series_chart_png
from indicators.periods import Quarter
from indicators.progress import Status, names_text, progress_notes, round_half_up
from indicators.selectors.brief import BriefData, Headline
from indicators.selectors.values import Inclusion

CHART_WIDTH_MM = 150
AHEAD = (Status.ON_TRACK, Status.AT_RISK, Status.BEHIND)


# --- numbers and quarters in words ----------------------------------------------------------


def num(value) -> str:
    """A count with thousands separators (12,198); a dash where nothing is known."""
    return "—" if value is None else f"{value:,}"


def pct(value: float | None) -> str:
    """A percentage as computed by the selectors (two decimals, rounded half up once)."""
    return "—" if value is None else f"{value:.2f}%"


def signed(value: int | None) -> str:
    return "—" if value is None else f"{value:+,}"


def decimal1(value: float | None) -> str:
    """Milestone and forecast values with one decimal, as the JSON rounds them."""
    return "—" if value is None else f"{round_half_up(value, 1):,.1f}"


def _numeral(n: int) -> str:
    """A section or quarter number as the language writes it (一 … 十 in Chinese)."""
    numerals = {
        1: pgettext("numeral", "1"),
        2: pgettext("numeral", "2"),
        3: pgettext("numeral", "3"),
        4: pgettext("numeral", "4"),
        5: pgettext("numeral", "5"),
        6: pgettext("numeral", "6"),
    }
    return numerals.get(n, str(n))


def quarter_text(q: Quarter | None) -> str:
    """2026年第三季度 / Q3 2026."""
    if q is None:
        return "—"
    return _("Q%(n)s %(year)s") % {"n": _numeral(q.quarter), "year": q.year}


def due_text(q: Quarter) -> str:
    """A target's due quarter: the year for a year-end target (2022年 / 2022), else the quarter."""
    return _("%(year)s") % {"year": q.year} if q.quarter == 4 else quarter_text(q)


def month_text(q: Quarter) -> str:
    """The month a quarter ends in: 2026年9月 / September 2026."""
    return date_format(q.end_date, "YEAR_MONTH_FORMAT")


def join_sentences(sentences) -> str:
    """Sentences as one paragraph: run together in Chinese, a space apart in English."""
    chinese = (translation.get_language() or "zh-hans").lower().startswith("zh")
    return ("" if chinese else " ").join(sentences)


def _sentence(*parts: str) -> str:
    return "".join(parts) + pgettext("sentence end", ".")


def _unit_names(units, *, with_status: bool) -> str:
    """Names of units (headline ``UnitStatus`` or reporting ``Obligation``), with their status."""
    names = []
    for unit in units:
        name = unit.region.name
        if with_status:
            name = _("%(name)s (%(status)s)") % {"name": name, "status": unit.status_label}
        names.append(name)
    return names_text(names)


# --- sentences ------------------------------------------------------------------------------


def headline_sentences(h: Headline, *, region_name: str, as_of: Quarter, include) -> list[str]:
    """The key figure of one indicator, its change on a year earlier, and what the as-of
    quarter lacks; each a sentence made from the selectors' numbers only (the targets':
    :func:`target_sentences`)."""
    unit = h.indicator.unit
    out = []
    if h.row is None:
        out.append(
            _("No complete value of %(indicator)s is known for %(region)s up to %(quarter)s.")
            % {"indicator": h.indicator.name, "region": region_name, "quarter": quarter_text(as_of)}
        )
    else:
        first = _("By the end of %(date)s, %(indicator)s in %(region)s stood at %(value)s %(unit)s") % {
            "date": month_text(h.period),
            "indicator": h.indicator.name,
            "region": region_name,
            "value": num(h.value),
            "unit": unit,
        }  # fmt: skip
        if h.yoy is None:
            change = _(" (no complete value for the same quarter a year earlier)")
        elif h.yoy > 0:
            change = _(", up %(pct)s on the same quarter a year earlier (%(prev)s %(unit)s)")
        elif h.yoy < 0:
            change = _(", down %(pct)s on the same quarter a year earlier (%(prev)s %(unit)s)")
        else:
            change = _(", unchanged on the same quarter a year earlier")
        change %= {
            "pct": pct(abs(h.yoy)) if h.yoy is not None else "",
            "prev": num(h.year_ago.value) if h.year_ago else "",
            "unit": unit,
        }
        flag = "" if h.row.approved else _(" (including figures awaiting review)")
        out.append(_sentence(first, change, flag))
    if not h.is_as_of:
        if h.partial is not None:
            out.append(
                _("For %(quarter)s only a partial sum is known so far (%(value)s %(unit)s); it is not the full figure.")
                % {"quarter": quarter_text(as_of), "value": num(h.partial.value), "unit": unit}
            )  # fmt: skip
        elif h.row is not None:
            out.append(
                _("No value is known yet for %(quarter)s.") % {"quarter": quarter_text(as_of)}
            )
        if h.not_reported:
            out.append(
                _("Not yet reported: %(names)s.")
                % {"names": _unit_names(h.not_reported, with_status=True)}
            )
        if h.awaiting and include is Inclusion.APPROVED:
            out.append(
                _("Awaiting review, not included: %(names)s.")
                % {"names": _unit_names(h.awaiting, with_status=False)}
            )
    return out


def target_sentences(row, *, unit: str, as_of: Quarter) -> list[str]:
    """Where one target stands (docs/progress.md): status, % achieved, gap; for a target still
    ahead, the forecast and the pace needed."""
    t, p = row.target, row.progress
    words = {
        "due": due_text(t.due),
        "due_q": quarter_text(t.due),
        "target": num(t.value),
        "unit": unit,
        "percent": pct(p.percent),
        "gap": num(abs(p.gap)) if p.gap is not None else "—",
        "status": p.status.label,
        "value": num(p.value),
        "measured": quarter_text(p.measured_at),
        "quarter": quarter_text(as_of),
    }
    notes = progress_notes(p, baseline_quarter=t.plan.issued_quarter)
    out = []
    if p.status is Status.ACHIEVED:
        out.append(_("The %(due)s target (%(target)s %(unit)s) was achieved: %(percent)s of it, %(gap)s %(unit)s above.") % words)  # fmt: skip
    elif p.status is Status.MISSED:
        out.append(_("The %(due)s target (%(target)s %(unit)s) was missed: %(percent)s of it, %(gap)s %(unit)s short.") % words)  # fmt: skip
    elif p.status is Status.PENDING:
        words["notes"] = pgettext("notes separator", "; ").join(notes)
        notes = []
        out.append(_("The %(due)s target (%(target)s %(unit)s) is pending: %(notes)s.") % words)
        if p.value is not None:
            out.append(_("Latest complete value: %(value)s %(unit)s (%(measured)s), %(percent)s of the target.") % words)  # fmt: skip
    elif p.status is Status.NOT_ISSUED:
        out.append(_("The plan setting the %(due)s target (%(target)s %(unit)s) had not been issued by %(quarter)s.") % words)  # fmt: skip
    elif p.status is Status.NO_DATA:
        out.append(_("No value is known for the %(due)s target (%(target)s %(unit)s).") % words)
    elif p.gap is not None and p.gap >= 0:
        out.append(_("The %(due)s target (%(target)s %(unit)s) is already met: %(percent)s, %(gap)s %(unit)s above (%(status)s).") % words)  # fmt: skip
    else:
        out.append(_("Against the %(due)s target (%(target)s %(unit)s): %(percent)s achieved, %(gap)s %(unit)s to go (%(status)s).") % words)  # fmt: skip
    if p.status in (Status.ACHIEVED, Status.MISSED) and not p.at_due and p.measured_at:
        out.append(_("Measured at %(measured)s, the latest value of the due year.") % words)
    if p.status in AHEAD and p.forecast_value is not None:
        words["forecast"] = num(int(round_half_up(p.forecast_value, 0)))
        if p.forecast_meets:
            out.append(_("On the recent trend it would reach about %(forecast)s %(unit)s by the end of %(due_q)s, enough to meet the target.") % words)  # fmt: skip
        else:
            out.append(_("On the recent trend it would reach about %(forecast)s %(unit)s by the end of %(due_q)s, not enough to meet the target.") % words)  # fmt: skip
    if p.status in AHEAD and p.needed_per_quarter:
        words["needed"] = num(p.needed_per_quarter)
        out.append(_("Meeting it needs %(needed)s %(unit)s more per quarter on average.") % words)
    out.extend(_sentence(note) for note in notes)
    return out


# --- tables ---------------------------------------------------------------------------------


def targets_table_rows(rows) -> list[list[str]]:
    """One row per target: plan, target, value (quarter), % achieved, gap, status, forecast at
    the due quarter, needed per quarter (the targets JSON's numbers)."""
    out = []
    for row in rows:
        t, p = row.target, row.progress
        plan = t.plan.document_number or t.plan.title
        value = num(p.value)
        if p.measured_at is not None:
            value += f"\n({p.measured_at})"
        out.append(
            [
                plan,
                f"{t.due} ≥ {num(t.value)}",
                value,
                pct(p.percent),
                signed(p.gap),
                p.status.label,
                decimal1(p.forecast_value),
                num(p.needed_per_quarter),
            ]
        )
    return out


TARGET_WIDTHS = (28, 23, 22, 19, 15, 15, 19, 15)


def targets_table_header() -> list[str]:
    return [
        _("Plan"),
        _("Target"),
        _("Value"),
        _("% achieved"),
        _("Gap"),
        _("Status"),
        _("Forecast at due"),
        _("Needed per quarter"),
    ]


def division_rows(data: BriefData, panel) -> list[list[str]]:
    """The divisions at the dashboard's breakdown quarter: value, share, year on year, and the
    division's own targets (allocated or set by its own plan) with their status."""
    out = []
    for child in panel.children:
        name = child.name
        if child.is_part:
            name = _("%(name)s (part of the parent, not added)") % {"name": name}
        value = num(child.value)
        if child.value is not None and not child.row.complete:
            value = _("%(value)s (partial sum)") % {"value": value}
        elif child.value is not None and not child.row.approved:
            value = _("%(value)s (awaiting review)") % {"value": value}
        targets = [
            _("%(due)s ≥ %(target)s: %(status)s %(percent)s")
            % {
                "due": r.target.due,
                "target": num(r.target.value),
                "status": r.progress.status.label,
                "percent": pct(r.progress.percent) if r.progress.percent is not None else "",
            }
            for r in data.division_targets.get((child.code, panel.code), [])
        ]
        out.append([name, value, pct(child.share), pct(child.growth), "\n".join(targets) or "—"])
    if panel.parent_row is not None:
        out.append([_("%(region)s (total)") % {"region": data.region.name},
                    num(panel.parent_row.value), "", "", ""])  # fmt: skip
    return out


def completeness_rows(data: BriefData, quarters: list[Quarter]) -> list[list[str]]:
    out = []
    for row in data.dashboard.completeness:
        cells = {c.period: c for c in row.cells}
        name = row.region.name
        if row.is_part:
            name = _("%(name)s (part of the parent, not added)") % {"name": name}
        out.append([name, *(cells[q].status.label if q in cells else "—" for q in quarters)])
    return out


# --- the document ---------------------------------------------------------------------------


def _heading(doc, level: int, n: int, title: str) -> None:
    text = (_("%(n)s. %(title)s") if level == 1 else _("(%(n)s) %(title)s")) % {
        "n": _numeral(n),
        "title": title,
    }
    doc.add_heading(text, level=level)


def _chart_labels(panel, *, english: bool = False) -> ChartLabels:
    def make():
        return ChartLabels(
            actual=_("Actual value"),
            awaiting=_("Awaiting review"),
            partial=_("Partial sum (incomplete)"),
            target=_("Target"),
            milestone=_("Milestone path"),
            forecast=_("Forecast (trend)"),
            unit=panel.indicator.unit_en if english else panel.indicator.unit,
            x_axis=_("Year (ticks at the fourth quarter)"),
        )

    if english:
        with translation.override("en"):
            return make()
    return make()


def brief_title(data: BriefData) -> str:
    return _("%(region)s: progress on the quality certification targets (%(quarter)s)") % {
        "region": data.region.name,
        "quarter": quarter_text(data.as_of),
    }


def brief_document(*, data: BriefData, issuer: str, issued_on: dt.date, font_path=True):
    """The brief of ``data`` as a Word document, in the active language.

    ``issuer``: the issuing unit named under the title; ``issued_on``: the date beside it.
    ``font_path``: the charts' CJK font (True: looked up; None: none, see brief_chart.py)."""
    title = brief_title(data)
    doc = word.new_document(
        title=title, author=issuer, language=translation.get_language() or "zh-hans"
    )
    doc.add_paragraph(title, style="Title")
    word.add_centred(doc, f"{issuer}\u3000\u3000{date_format(issued_on, 'DATE_FORMAT')}")
    if data.has_demo:
        word.add_centred(doc, _("[Demo data] The figures below are generated for demonstration; they are not official statistics."), size=word.SIZE_TABLE, colour="C00000")  # fmt: skip
    if data.include is Inclusion.SUBMITTED:
        word.add_centred(doc, _("Includes figures awaiting review."), size=word.SIZE_TABLE)

    region_name = data.region.name
    _heading(doc, 1, 1, _("Overall progress"))
    for h in data.headlines:
        sentences = headline_sentences(
            h, region_name=region_name, as_of=data.as_of, include=data.include
        )
        word.add_paragraph(doc, join_sentences(sentences))
        unit = h.indicator.unit
        targets = [
            s for row in h.targets for s in target_sentences(row, unit=unit, as_of=data.as_of)
        ]
        if targets:
            word.add_paragraph(doc, join_sentences(targets))

    _heading(doc, 1, 2, _("Progress against the targets"))
    for i, panel in enumerate(data.panels, start=1):
        name = _("%(indicator)s (%(unit)s)") % {
            "indicator": panel.indicator.name,
            "unit": panel.indicator.unit,
        }
        _heading(doc, 2, i, name)
        if panel.targets:
            word.add_table(doc, targets_table_header(), targets_table_rows(panel.targets),
                           numeric=(3, 4, 6, 7), widths_mm=TARGET_WIDTHS)  # fmt: skip
        else:
            word.add_paragraph(doc, _("No plan sets targets for this region; its values are shown below."))  # fmt: skip
        if any(p.value is not None for p in panel.series) or panel.targets:
            png = series_chart_png(
                points=panel.series,
                labels=_chart_labels(panel),
                fallback=_chart_labels(panel, english=True),
                font_path=font_path,
            )
            caption = _("Figure %(n)s: %(indicator)s, quarterly values against the targets (%(unit)s)") % {
                "n": i, "indicator": panel.indicator.name, "unit": panel.indicator.unit,
            }  # fmt: skip
            word.add_picture(doc, png, width_mm=CHART_WIDTH_MM, caption=caption)
        else:
            word.add_paragraph(doc, _("No values to chart yet."))

    _heading(doc, 1, 3, pgettext("brief section", "Divisions"))
    if not data.dashboard.children:
        word.add_paragraph(doc, _("%(region)s has no sub-regions.") % {"region": region_name})
    for i, panel in enumerate(data.panels, start=1):
        if not data.dashboard.children:
            break
        _heading(doc, 2, i, panel.indicator.name)
        if panel.breakdown_period is None or all(c.value is None for c in panel.children):
            word.add_paragraph(doc, _("No sub-region has a value of its own yet."))
            continue
        lead = (
            _("Values at the end of %(quarter)s, the latest quarter in which every division has a value.")
            if panel.breakdown_full
            else _("Values at the end of %(quarter)s; not every division has a value yet.")
        ) % {"quarter": quarter_text(panel.breakdown_period)}  # fmt: skip
        word.add_paragraph(doc, lead)
        header = [_("Region"), _("Value (%(unit)s)") % {"unit": panel.indicator.unit},
                  _("Share"), _("Year on year"), _("Own target and status")]  # fmt: skip
        word.add_table(doc, header, division_rows(data, panel), numeric=(1, 2, 3),
                       widths_mm=(40, 26, 20, 20, 50))  # fmt: skip

    _heading(doc, 1, 4, _("Reporting completeness"))
    _completeness(doc, data)

    _heading(doc, 1, 5, _("About the data"))
    _data_note(doc, data, issued_on)
    return doc


def _completeness(doc, data: BriefData) -> None:
    as_of = data.as_of
    reporting = data.reporting  # the reporting obligations: the review queue's answer
    units = [*reporting.not_reported, *reporting.waiting]
    approved = [o for o in reporting.rows if o.status == "approved"]
    word.add_paragraph(
        doc,
        _("For %(quarter)s, %(done)s of %(total)s reporting units have sent their figures, %(approved)s of them approved.")
        % {"quarter": quarter_text(as_of), "done": len(reporting.reported), "total": reporting.expected, "approved": len(approved)},
    )  # fmt: skip
    if not units and reporting.expected:
        word.add_paragraph(doc, _("Every reporting unit's figures for %(quarter)s are in and approved.") % {"quarter": quarter_text(as_of)})  # fmt: skip
    if reporting.not_reported:
        word.add_paragraph(doc, _("Not yet reported: %(names)s.") % {"names": _unit_names(reporting.not_reported, with_status=True)})  # fmt: skip
    if reporting.late:
        word.add_paragraph(doc, _("Late since %(date)s: %(names)s.") % {"date": date_format(reporting.late[0].late_since, "DATE_FORMAT"), "names": _unit_names(reporting.late, with_status=False)})  # fmt: skip
    if reporting.waiting:
        text = (
            _("Awaiting review, not included in the figures above: %(names)s.")
            if data.include is Inclusion.APPROVED
            else _("Awaiting review, included in the figures above and marked as such: %(names)s.")
        )
        word.add_paragraph(doc, text % {"names": _unit_names(reporting.waiting, with_status=False)})
    for panel in data.panels:
        name = panel.indicator.name
        if panel.incomplete:
            word.add_paragraph(doc, _("%(indicator)s: partial sums, as not every sub-region has reported, for %(quarters)s; they are shown apart and are neither progress nor forecast input.") % {"indicator": name, "quarters": panel.incomplete_periods})  # fmt: skip
        if panel.discrepancies:
            quarters = ", ".join(str(r.period) for r in panel.discrepancies)
            word.add_paragraph(doc, _("%(indicator)s: the value entered directly differs from the sum of the divisions for %(quarters)s; the direct value counts.") % {"indicator": name, "quarters": quarters})  # fmt: skip
    rows = data.dashboard.completeness
    quarters = [q for q in data.dashboard.completeness_quarters if q <= as_of][-4:]
    if rows and quarters:
        header = [_("Reporting unit"), *(str(q) for q in quarters)]
        word.add_table(doc, header, completeness_rows(data, quarters))


def _data_note(doc, data: BriefData, issued_on: dt.date) -> None:
    plans = names_text(
        _("%(title)s (%(number)s)") % {"title": p.title, "number": p.document_number}
        if p.document_number
        else p.title
        for p in data.plans
    )
    lines = [
        _("As of: the end of %(quarter)s (%(date)s).")
        % {"quarter": quarter_text(data.as_of), "date": date_format(data.as_of.end_date, "DATE_FORMAT")},
        _("Values: %(values)s.") % {"values": data.include.label},
        _("Source: the quarterly counts entered in CertTrack by the reporting units and reviewed by the bureaus; the same numbers as the region's dashboard and its data (JSON, CSV)."),
        _("Targets: %(plans)s.") % {"plans": plans} if plans else _("Targets: no plan sets targets for this region."),
        _("Both indicators are stocks at quarter end: summed over regions for the same quarter, never over time. Percentages are computed from the counts and rounded half up to two decimals."),
    ]  # fmt: skip
    if data.has_demo:
        lines.append(_("Demo data: the figures in this brief are generated for demonstration and are not official statistics."))  # fmt: skip
    lines.append(_("Generated by CertTrack on %(date)s.") % {"date": date_format(issued_on, "DATE_FORMAT")})  # fmt: skip
    for line in lines:
        word.add_paragraph(doc, line)


def brief_filename(*, data: BriefData, today: dt.date) -> str:
    """CertTrack_简报_甘肃省_620000_2026Q3_2026-11-30.docx (the view adds an ASCII fallback)."""
    label = _("brief")
    region = data.region
    return f"CertTrack_{label}_{region.name}_{region.code}_{data.as_of}_{today.isoformat()}.docx"
