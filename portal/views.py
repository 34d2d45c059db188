import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from portal import services
from portal.decorators import no_account_data, patient_required, staff_required
from portal.forms import ChannelForm, InvitationAcceptForm
from portal.models import Patient
from portal.panels import collect
from portal.two_factor import services as two_factor


@require_safe
@no_account_data
def home(request):
    return render(request, "portal/home.html")


@login_required
def after_login(request):
    """Send each role to its own start page."""
    if request.user.is_clinic_staff:
        return redirect("staff")
    if request.user.is_superuser:
        return redirect("admin:index")
    return redirect("me")


@never_cache
@patient_required
def me(request):
    patient = Patient.objects.filter(user=request.user).first()
    panels = collect("me", request, patient=patient) if patient else []
    channel_form = ChannelForm(initial={"preferred_channel": _channel_shown(patient)}) if patient else None
    return render(request, "portal/me.html", {"patient": patient, "panels": panels, "channel_form": channel_form})


def _channel_shown(patient) -> str:
    if patient.preferred_channel:
        return patient.preferred_channel
    return "email" if patient.email else "sms"


@require_POST
@patient_required
def me_channel(request):
    patient = get_object_or_404(Patient.objects.for_user(request.user), user=request.user)
    form = ChannelForm(request.POST)
    if form.is_valid():
        try:
            services.patient_channel_set(
                patient=patient, channel=form.cleaned_data["preferred_channel"], by=request.user, request=request
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("preferred_channel", exc.messages):
                form.add_error("preferred_channel", message)
        else:
            messages.success(request, "Saved. We will send your reminders and notices that way.")
            return redirect("me")
    panels = collect("me", request, patient=patient)
    return render(request, "portal/me.html", {"patient": patient, "panels": panels, "channel_form": form}, status=400)


@never_cache
@staff_required
def staff(request):
    context = {
        "panels": collect("staff", request),
        "two_factor": two_factor.state(request),
    }
    return render(request, "portal/staff.html", context)


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        database = "error"
    broker = _broker_status()
    status = 200 if database == "ok" else 503
    return JsonResponse({"database": database, "broker": broker}, status=status)


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "embedded"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except Exception:  # noqa: BLE001
        return "error"


@require_GET
def favicon(request):
    return HttpResponsePermanentRedirect(staticfiles_storage.url("favicon.svg"))


@require_POST
def keepalive(request):
    """The idle warning's "Stay signed in" button: resets the idle clock."""
    if request.user.is_authenticated:
        request.session["last_seen"] = int(time.time())
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"signed_in": request.user.is_authenticated})
    if not request.user.is_authenticated:
        return redirect("login")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("home")
    # Always an address, never a view name: redirect("0") would try to reverse "0" and fail.
    return HttpResponseRedirect(target)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    invitation = services.invitation_lookup(token=token)
    if invitation is None:
        return render(request, "registration/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for message in exc.message_dict.get("password", []):
                    form.add_error("password1", message)
            else:
                form.add_error(None, exc.messages[0])
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your account is ready. Welcome to the portal.")
            return redirect("me")
    return render(request, "registration/invitation_accept.html", {"form": form, "invitation": invitation})


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def error_400(request, exception=None):
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
