"""Pages of staff two-step sign-in: the code step, setting up an app, recovery codes, the status page.

StaffTwoFactorMiddleware sends staff here; these pages are open to a session that has passed only
the password step, so each one checks where the account stands itself (portal.services.state).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.two_factor import devices, services
from portal.two_factor.forms import CodeForm, PasswordForm


def _staff_only(view):
    """Signed in, and an account two-step sign-in applies to; a patient gets a 404."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not services.applies_to(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("after-login")


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _go_on(request) -> HttpResponseRedirect:
    # Always an address, never a view name (see portal.views.keepalive).
    return HttpResponseRedirect(_next(request))


@never_cache
@require_http_methods(["GET", "POST"])
@_staff_only
def verify(request):
    """The second step of sign-in: a code from the app, or a recovery code."""
    step = services.state(request).step
    if step == "setup":
        return redirect(_with_next("two-factor-setup", _next(request)))
    if step != "verify":
        return _go_on(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind = services.verify(request=request, token=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            if kind == "recovery":
                left = devices.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    _("You used a recovery code. %(left)d are left; make new ones from your two-step sign-in page.")
                    % {"left": left},
                )
            return _go_on(request)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)})


@never_cache
@require_http_methods(["GET", "POST"])
@_staff_only
def setup(request):
    """Set up an authenticator app: scan the QR code (or type the key), then type a code it shows.
    Open before the grace period ends, and to a verified account replacing its app."""
    step = services.state(request).step
    if step == "verify":
        return redirect(_with_next("two-factor-verify", _next(request)))
    if services.setup_link_needed(request):
        return _setup_link_page(request)
    device = services.app_setup_start(request=request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.app_setup_confirm(
                request=request, token=form.cleaned_data["code"], password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            form.add_error("password" if getattr(exc, "code", None) == "password" else "code", exc)
        else:
            services.show_codes_once(request, codes)
            messages.success(request, _("Two-step sign-in is on. From now on, sign-in asks for a code from your app."))
            return redirect(_with_next("two-factor-codes", _next(request)))
    context = {
        "form": form,
        "next": _next(request),
        "qr_svg": devices.qr_svg(device),
        "secret": devices.secret_text(device),
        "replacing": devices.has_app(request.user),
        "in_grace": step == "grace",
        "required_from": request.user.two_factor_required_from,
    }
    return render(request, "registration/two_factor_setup.html", context)


def _setup_link_page(request, *, expired: bool = False):
    """Past the grace period: the set-up page opens through a link emailed to the account."""
    if request.method == "POST" and request.POST.get("action") == "send-link":
        try:
            services.setup_link_send(request=request)
        except OSError:
            messages.error(
                request,
                _("The email could not be sent just now. Try again in a minute, or call the clinic's administrator."),
            )
        else:
            messages.success(request, _("We sent the link. Check your email on this device."))
        return redirect(_with_next("two-factor-setup", _next(request)))
    context = {
        "next": _next(request),
        "email": request.user.email,
        "expired": expired,
        "minutes": services.SETUP_LINK_MAX_AGE // 60,
    }
    return render(request, "registration/two_factor_setup_link.html", context, status=400 if expired else 200)


@never_cache
@require_http_methods(["GET"])
@_staff_only
def setup_link(request, token):
    """The emailed link: opens the set-up page for this session."""
    if services.setup_link_accept(request=request, token=token):
        return redirect("two-factor-setup")
    if not services.setup_link_needed(request):
        return redirect("two-factor-manage")
    return _setup_link_page(request, expired=True)


@never_cache
@require_http_methods(["GET", "POST"])
@_staff_only
def recovery_codes(request):
    """GET: the codes just made, shown once. POST: make new ones (the old ones stop working)."""
    if request.method == "POST":
        form = PasswordForm(request.POST)
        form.is_valid()
        try:
            codes = services.recovery_codes_renew(request=request, password=form.cleaned_data.get("password", ""))
        except PermissionDenied:
            return redirect(_with_next("two-factor-verify", reverse("two-factor-manage")))
        except ValidationError as exc:
            form.add_error("password", exc)
            return render(request, "registration/two_factor_manage.html", _manage_context(request, form), status=400)
        services.show_codes_once(request, codes)
        return redirect("two-factor-codes")
    codes = services.codes_to_show(request)
    if not codes:
        return redirect("two-factor-manage")
    return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": _next(request)})


@never_cache
@require_http_methods(["GET"])
@_staff_only
def manage(request):
    """Where the account stands: app set up or not, recovery codes left, and what to do."""
    current = services.state(request)
    if current.step in ("verify", "setup"):
        target = "two-factor-verify" if current.step == "verify" else "two-factor-setup"
        return redirect(_with_next(target, reverse("two-factor-manage")))
    return render(request, "registration/two_factor_manage.html", _manage_context(request, PasswordForm()))


def _manage_context(request, password_form) -> dict:
    return {
        "has_app": devices.has_app(request.user),
        "codes_left": devices.recovery_codes_left(request.user),
        "required_from": request.user.two_factor_required_from,
        "password_form": password_form,
    }
