"""The education sections of /me/ and /staff/."""

from django.template.loader import render_to_string

from education import pages
from education.models import Guide


def me_panels(request, *, patient) -> list[str]:
    guides = pages.guide_list()
    if not guides:
        return []
    return [render_to_string("education/panels/me.html", {"guides": guides}, request=request)]


def staff_panels(request) -> list[str]:
    if not request.user.has_perm("education.change_guide"):
        return []
    guides = list(Guide.objects.select_related("published_revision__published_by", "draft_updated_by"))
    return [render_to_string("education/panels/staff.html", {"guides": guides}, request=request)]
