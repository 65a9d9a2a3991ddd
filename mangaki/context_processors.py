from mangaki.models import Category


def site(request):
    # Two rows, cached per process after the first request would be premature: one tiny query.
    return {"nav_categories": Category.objects.all()}
