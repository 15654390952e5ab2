from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from bench.bare.models import Row


def row_list(request: HttpRequest, per_page: int) -> HttpResponse:
    """A page of rows, newest first: the paginator's count, then the page."""
    rows = Row.objects.filter(apprentice_id=settings.BARE_APPRENTICE_ID).order_by(
        "-activity_date", "-id"
    )
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    return render(request, "bare/row_list.html", {"page": page})


def row_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Row, pk=pk, apprentice_id=settings.BARE_APPRENTICE_ID)
    return render(request, "bare/row_detail.html", {"row": row})
