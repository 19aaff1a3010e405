"""Views parse input, call selectors or services, and render; nothing is computed here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from indicators.periods import Quarter
from indicators.selectors import Inclusion, overview_cards


def overview(request: HttpRequest) -> HttpResponse:
    """Home page: a card per plan in the user's scope with each target's progress."""
    include = Inclusion.parse(request.GET.get("values"))
    as_of = Quarter.last_complete()
    cards = overview_cards(user=request.user, as_of=as_of, include=include)
    return render(
        request,
        "indicators/overview.html",
        {"cards": cards, "as_of": as_of, "include": include, "inclusions": list(Inclusion)},
    )
