from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def index(request):
    # Placeholder until the education issue lands the guide.
    return render(request, "education/index.html")
