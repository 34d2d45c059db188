"""The symptom-review sections of /me/ and /staff/."""

from django.template.loader import render_to_string

from symptoms.charts import CHART, trend_build
from symptoms.models import SafetyAlert, SymptomReview
from symptoms.safety import clinician_emails
from symptoms.services import review_points, review_points_overdue

OVERDUE_SHOWN = 50


def staff_panels(request) -> list[str]:
    panels = []
    unnotified = SafetyAlert.objects.open().filter(clinicians_notified_at__isnull=True).count()
    if unnotified and not clinician_emails():
        # Nobody was told: every staff member, the front desk too, must see this.
        panels.append(render_to_string("symptoms/panels/no_recipients.html", {"count": unnotified}, request=request))
    if request.user.is_clinician:
        # Item-9 alerts come first on the dashboard and stay until a clinician reviews them.
        alerts = list(SafetyAlert.objects.open().select_related("patient").order_by("created_at", "pk"))
        if alerts:
            panels.append(render_to_string("symptoms/panels/alerts.html", {"alerts": alerts}, request=request))
    overdue = list(review_points_overdue()[:OVERDUE_SHOWN])
    panels.append(render_to_string("symptoms/panels/overdue.html", {"overdue": overdue}, request=request))
    return panels


def me_panels(request, *, patient) -> list[str]:
    points = review_points(patient=patient)
    context = {
        "next_due": next((p for p in points if p["state"] in ("due", "overdue")), None),
        "reviews_done": sum(1 for p in points if p["state"] == "done"),
    }
    return [render_to_string("symptoms/panels/me.html", context, request=request)]


def _can_read_answers(user) -> bool:
    return user.is_clinician or user.has_perm("symptoms.view_symptomreview")


def record_panels(request, *, patient) -> list[str]:
    """The patient record's symptom reviews: the PHQ-9 trend and the item-9 alerts for clinicians;
    the front desk sees only which review points are done or due, never a score."""
    context = {"patient": patient, "points": review_points(patient=patient)}
    if _can_read_answers(request.user):
        reviews = list(SymptomReview.objects.filter(patient=patient).chronological())
        context.update(
            can_read_answers=True, trend=trend_build(reviews), chart=CHART, chart_id="record-phq",
            alerts=list(SafetyAlert.objects.filter(patient=patient).select_related("resolved_by")),
        )
    return [render_to_string("symptoms/panels/record.html", context, request=request)]
