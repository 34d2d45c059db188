from django.shortcuts import render
from django.views.decorators.http import require_safe

from education import pages
from portal.decorators import no_account_data


@require_safe
@no_account_data
def index(request):
    return render(request, "education/index.html", {"guides": pages.guide_list()})


@require_safe
@no_account_data
def guide(request, slug):
    page = pages.guide_page(slug)
    if page is None:
        return render(request, "education/guide_not_found.html", status=404)
    return render(request, "education/guide.html", {"page": page})
