"""The user administrator's pages (/users/): each parses input, calls one selector or service,
and answers. Who may see what is decided in accounts.selectors; an account outside the scope is
404, the pages themselves 403 for anyone who administers no users."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from accounts import exports, imports
from accounts.directory import group_mapping_add, group_mapping_remove, group_mappings_visible_to
from accounts.filters import AccountFilterSet
from accounts.forms import (
    AccountEditForm,
    AccountForm,
    DirectoryGroupMappingForm,
    ImportUploadForm,
    MembershipGrantForm,
)
from accounts.selectors import (
    account_events,
    account_for,
    accounts_managed_by,
    can_administer_users,
    has_any_role,
    regions_grantable_by,
    units_grantable_by,
    user_administrators_to_ask,
)
from accounts.services import (
    AccountData,
    PasswordLink,
    account_create,
    account_set_active,
    account_update,
    accounts_import_apply,
    membership_grant,
    membership_revoke,
    password_link_make,
)
from accounts.tables import AccountTable
from indicators.views.reports import _file_response
from regions.models import Membership
from regions.people import display_name
from tasks.models import UnitMembership

LINKS_SESSION_KEY = "accounts_password_links"
IMPORT_SESSION_KEY = "accounts_import"
PAGE_SIZE = 50


def _require_admin(request: HttpRequest) -> None:
    if not can_administer_users(request.user):
        raise PermissionDenied(_("Only user administrators manage accounts."))


def _remember_links(request: HttpRequest, links: list[PasswordLink]) -> None:
    """Links not mailed wait in the (database-backed) session until the administrator has
    handed them over and dismisses them: shown on the links page, never stored anywhere else."""
    pending = request.session.get(LINKS_SESSION_KEY, [])
    pending += [
        {"id": link.account_id, "username": link.username, "name": link.name, "url": link.url}
        for link in links
        if link.url
    ]
    request.session[LINKS_SESSION_KEY] = pending


def users_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    accounts = accounts_managed_by(request.user).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("region").order_by("region__path"),
        ),
        Prefetch("unit_memberships", queryset=UnitMembership.objects.select_related("unit")),
    )
    filterset = AccountFilterSet(
        request.GET or None,
        queryset=accounts,
        regions=regions_grantable_by(request.user),
        units=units_grantable_by(request.user),
    )
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else accounts
    table = AccountTable(rows)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(
        request,
        "accounts/list.html",
        {"filter": filterset, "table": table, "pending_links": _pending(request)},
    )


def _pending(request) -> int:
    return len(request.session.get(LINKS_SESSION_KEY, []))


def user_new(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = AccountForm(request.POST or None, admin=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = account_create(
                actor=request.user,
                data=AccountData(
                    username=data["username"],
                    name=data["name"],
                    name_en=data["name_en"],
                    email=data["email"],
                    phone=data["phone"],
                    region=data["region"],
                    unit=data["unit"],
                    roles=tuple(data["roles"]),
                ),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            link = password_link_make(actor=request.user, account_id=account.pk)
            _link_message(request, link)
            return redirect("accounts:detail", account.pk)
    return render(request, "accounts/new.html", {"form": form}, status=400 if form.errors else 200)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _link_message(request, link: PasswordLink) -> None:
    if link.mailed:
        messages.success(request, _("A one-time link to set the password was mailed."))
    else:
        _remember_links(request, [link])
        messages.success(
            request,
            _(
                "A one-time link to set the password is waiting for you to hand over: see the links page."
            ),
        )


def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    account = account_for(request.user, pk)
    memberships = account.memberships.select_related("region").order_by("region__path", "role")
    return render(
        request,
        "accounts/detail.html",
        {
            "account": account,
            "account_name": display_name(account),
            "memberships": memberships,
            "units": account.unit_memberships.select_related("unit", "unit__region"),
            "events": account_events(account)[:200],
            "edit_form": AccountEditForm(
                initial={
                    "name": account.first_name,
                    "name_en": getattr(getattr(account, "profile", None), "name_en", ""),
                    "email": account.email,
                    "phone": getattr(getattr(account, "profile", None), "phone", ""),
                }
            ),
            "grant_form": MembershipGrantForm(admin=request.user),
            "pending_links": _pending(request),
        },
    )


@require_POST
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    account_for(request.user, pk)
    form = AccountEditForm(request.POST)
    if form.is_valid():
        try:
            account_update(actor=request.user, account_id=pk, **form.cleaned_data)
            messages.success(request, _("The account was saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("accounts:detail", pk)


@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    active = request.POST.get("active") == "1"
    account_set_active(actor=request.user, account_id=pk, active=active)
    messages.success(
        request, _("The account was reactivated.") if active else _("The account was deactivated.")
    )
    return redirect("accounts:detail", pk)


@require_POST
def user_grant(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    account_for(request.user, pk)
    form = MembershipGrantForm(request.POST, admin=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("accounts:detail", pk)
    try:
        membership_grant(
            actor=request.user,
            account_id=pk,
            role=form.cleaned_data["role"],
            region=form.cleaned_data["region"],
        )
        messages.success(request, _("The role was granted."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:detail", pk)


@require_POST
def user_revoke(request: HttpRequest, pk: int, membership_id: int) -> HttpResponse:
    _require_admin(request)
    try:
        membership_revoke(actor=request.user, account_id=pk, membership_id=membership_id)
        messages.success(request, _("The role was removed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:detail", pk)


@require_POST
def user_password_link(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    try:
        link = password_link_make(actor=request.user, account_id=pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:detail", pk)
    _link_message(request, link)
    if link.mailed:
        return redirect("accounts:detail", pk)
    return redirect("accounts:links")


def links(request: HttpRequest) -> HttpResponse:
    """The set-password links made in this session and not mailed, until dismissed."""
    _require_admin(request)
    return render(
        request, "accounts/links.html", {"links": request.session.get(LINKS_SESSION_KEY, [])}
    )


def links_export(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    rows = request.session.get(LINKS_SESSION_KEY, [])
    now = timezone.localtime()
    wb = exports.links_workbook(rows=rows, generated_by=display_name(request.user), at=now)
    return _file_response(wb, f"CertTrack_links_{now:%Y-%m-%d_%H%M}.xlsx")


@require_POST
def links_clear(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    request.session.pop(LINKS_SESSION_KEY, None)
    messages.success(request, _("The links were removed from this page."))
    return redirect("accounts:list")


def import_template(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    wb = exports.import_template_workbook(
        regions=list(regions_grantable_by(request.user).order_by("path")),
    )
    return _file_response(wb, "CertTrack_accounts_template.xlsx")


def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload -> preview with every problem of the file at once; nothing is written here."""
    _require_admin(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method != "POST" or not form.is_valid():
        return render(request, "accounts/import.html", context)
    upload = form.cleaned_data["file"]
    parsed = imports.parse_accounts(data=upload.read(), admin=request.user)
    request.session.pop(IMPORT_SESSION_KEY, None)
    token = ""
    if parsed.rows and not parsed.errors:
        token = uuid.uuid4().hex
        request.session[IMPORT_SESSION_KEY] = {
            "token": token,
            "rows": [row.to_json() for row in parsed.rows],
        }
    context |= {"parsed": parsed, "token": token, "file_name": upload.name, "previewed": True}
    return render(request, "accounts/import.html", context, status=400 if parsed.errors else 200)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Create every previewed account, or none; then a one-time link for each."""
    _require_admin(request)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("accounts:import")
    request.session.pop(IMPORT_SESSION_KEY, None)
    try:
        rows = [imports.ImportRow.from_json(r).data() for r in pending["rows"]]
        created = accounts_import_apply(actor=request.user, rows=rows)
    except (ValidationError, LookupError) as exc:
        messages.error(
            request,
            _("Nothing was created: %(problem)s Upload the file again.")
            % {"problem": " ".join(getattr(exc, "messages", [str(exc)]))},
        )
        return redirect("accounts:import")
    made = [password_link_make(actor=request.user, account_id=a.pk) for a in created]
    _remember_links(request, made)
    messages.success(
        request,
        _("%(n)s accounts were created.") % {"n": len(created)},
    )
    return redirect("accounts:links" if any(link.url for link in made) else "accounts:list")


@method_decorator(login_not_required, name="dispatch")
class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link's page (with or without mail): Django's password-reset confirmation.
    The token is void once the password is set or the account signs in."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("accounts:set_password_done")
    reset_url_token = "set-password"


@method_decorator(login_not_required, name="dispatch")
class SetPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/set_password_done.html"


def directory_groups(request: HttpRequest) -> HttpResponse:
    """The directory group -> region + role mappings the administrator may change; add one."""
    _require_admin(request)
    form = DirectoryGroupMappingForm(request.POST or None, admin=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            group_mapping_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The directory group was mapped."))
            return redirect("accounts:directory_groups")
    return render(
        request,
        "accounts/directory_groups.html",
        {"form": form, "mappings": group_mappings_visible_to(request.user)},
        status=400 if form.errors else 200,
    )


@require_POST
def directory_group_remove(request: HttpRequest, mapping_id: int) -> HttpResponse:
    _require_admin(request)
    try:
        group_mapping_remove(actor=request.user, mapping_id=mapping_id)
        messages.success(request, _("The mapping was removed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:directory_groups")


def no_role(request: HttpRequest) -> HttpResponse:
    """Where a signed-in person without any role lands: whom to ask."""
    if has_any_role(request.user):
        return redirect("work:home")
    return render(request, "accounts/no_role.html", {"contacts": user_administrators_to_ask()})


@login_not_required
def directory_failed(request: HttpRequest) -> HttpResponse:
    """A directory sign-in that did not succeed (refused, or a name taken by a local account)."""
    return render(request, "accounts/directory_failed.html", status=403)


def _oidc_enabled() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404("OpenID Connect sign-in is not set up here.")


@login_not_required
def oidc_start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider (404 where OpenID Connect is off)."""
    _oidc_enabled()
    from accounts.directory_oidc import AuthenticationRequestView

    return AuthenticationRequestView.as_view()(request)


@login_not_required
def oidc_callback(request: HttpRequest) -> HttpResponse:
    _oidc_enabled()
    from accounts.directory_oidc import AuthenticationCallbackView

    return AuthenticationCallbackView.as_view()(request)
