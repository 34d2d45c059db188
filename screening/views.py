from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def start(request):
    # Placeholder until the screening issue lands the checklist.
    return render(request, "screening/start.html")
