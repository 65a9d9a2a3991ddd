"""Works to watch together: the group page (``/group/?members=bob,charlie``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from mangaki.models import Category
from mangaki.security.pages import limited
from mangaki.services.groups import (
    AGGREGATIONS,
    DEFAULT_AGGREGATION,
    MAX_MEMBERS,
    GroupError,
    UnknownMember,
    group_members,
    parse_usernames,
    recommend_for_group,
)

PAGE_SIZE = 24


@login_required
@limited("group", methods=("GET",))
def group(request):
    category = get_object_or_404(Category, slug=request.GET.get("category") or "anime")
    text = request.GET.get("members", "")[:2000]
    aggregation = request.GET.get("aggregation") or DEFAULT_AGGREGATION
    context = {
        "category": category,
        "members_text": text,
        "aggregation": aggregation if aggregation in AGGREGATIONS else DEFAULT_AGGREGATION,
        "max_members": MAX_MEMBERS,
        "result": None,
        "error": None,
    }
    status = 200
    if text.strip():
        try:
            members = group_members(request.user, parse_usernames(text))
            context["result"] = recommend_for_group(
                members, aggregation=aggregation, category_id=category.pk, n=PAGE_SIZE
            )
        except UnknownMember as error:
            context["error"], status = str(error), 404
        except GroupError as error:
            context["error"], status = str(error), 400
    return render(request, "mangaki/group.html", context, status=status)
