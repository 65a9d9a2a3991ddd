from mangaki.views.cards import non_empty_categories


def site(request):
    # One small query: the header offers only the categories that have works (a catalogue
    # without manga shows no manga tab).
    return {"nav_categories": non_empty_categories()}
