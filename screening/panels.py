"""The screening sections of /me/ and /staff/."""

from django.template.loader import render_to_string

from screening.models import SafetyAlert, Screening
from screening.services import review_points, review_points_overdue

RECENT_DECIDED = 10


def staff_panels(request) -> list[str]:
    panels = []
    if request.user.is_clinician:
        # Item-9 alerts come first on the dashboard and stay until a clinician reviews them.
        alerts = list(SafetyAlert.objects.open().select_related("patient").order_by("created_at", "pk"))
        if alerts:
            panels.append(render_to_string("screening/panels/alerts.html", {"alerts": alerts}, request=request))
    waiting = list(Screening.objects.waiting().flagged_first().select_related("patient"))
    decided = list(
        Screening.objects.filter(clearance__isnull=False)
        .select_related("patient", "clearance")
        .order_by("-clearance__decided_at", "-pk")[:RECENT_DECIDED]
    )
    panels.append(
        render_to_string(
            "screening/panels/staff.html",
            {"waiting": waiting, "decided": decided, "is_clinician": request.user.is_clinician},
            request=request,
        )
    )
    overdue = list(review_points_overdue()[:50])
    panels.append(render_to_string("screening/panels/overdue.html", {"overdue": overdue}, request=request))
    return panels


def me_panels(request, *, patient) -> list[str]:
    screenings = list(Screening.objects.filter(patient=patient).order_by("-submitted_at", "-pk"))
    points = review_points(patient=patient)
    return [
        render_to_string(
            "screening/panels/me.html",
            {
                "screenings": screenings,
                "points": points,
                "next_due": next((p for p in points if p["state"] in ("due", "overdue")), None),
                "reviews_done": sum(1 for p in points if p["state"] == "done"),
            },
            request=request,
        )
    ]


