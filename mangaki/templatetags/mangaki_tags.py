from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from mangaki.choices import PREDICTION_LABELS, predicted_choice
from mangaki.security.urls import safe_poster_url
from mangaki.services.posters import genre_hue as _genre_hue
from mangaki.services.posters import placeholder_data_url

register = template.Library()


@register.simple_tag
def poster(work, css_class="poster"):
    """The work's poster, or a placeholder drawn for this work (its title, type and year
    over its genres' colours; ``work.genre_names`` when the view attached them) if it has
    none or it fails to load: static/js/posters.js swaps a poster that fails to load for
    ``data-fallback`` (no inline handler, which the Content-Security-Policy forbids)."""
    kind = work.get_work_type_display() if work.work_type else ""  # no "Unknown" drawn
    caption = " · ".join(str(part) for part in (kind, work.year) if part)
    drawn = placeholder_data_url(work.title, getattr(work, "genre_names", ()), caption)
    url = work.poster.url if work.poster else safe_poster_url(work.poster_url)
    alt = _("Poster of %(title)s") % {"title": work.title}
    if not url:
        return format_html('<img class="{}" src="{}" alt="{}">', css_class, drawn, alt)
    return format_html(
        '<img class="{}" src="{}" alt="{}" loading="lazy" data-fallback="{}">',
        css_class,
        url,
        alt,
        drawn,
    )


@register.filter
def grouped(value):
    """A count with the language's thousands separator: 12,345 in English, 12 345 in
    French. Example: ``{{ work.external_members|grouped }}``."""
    if value is None or value == "":
        return ""
    return number_format(value, force_grouping=True)


@register.filter
def label(value, labels):
    """``value``'s display name from the ``labels`` dict, or ``value`` itself if it has none.

    Example: ``{{ row.choice|label:choice_labels }}`` shows "Like" for "like".
    """
    return labels.get(value, value)


@register.simple_tag
def name_list(pairs, index=0, tag=""):
    """Names taken from ``pairs`` (tuples; ``index`` picks the name) as "A, B and C", escaped,
    each wrapped in ``<tag>`` if given: sentences such as the taste one put this value into a
    translated string, since a template loop cannot sit inside ``{% blocktranslate %}``.

    Example: ``{% name_list taste.liked tag="strong" as liked %}``
    """
    fmt = f"<{tag}>{{}}</{tag}>" if tag else "{}"
    names = [format_html(fmt, pair[index]) for pair in pairs]
    if len(names) < 2:
        return format_html_join("", "{}", ((n,) for n in names))
    # The translated sentence may reorder the two parts; literal braces must stay literal.
    # Translators: the end of a list of names, as in "A, B and C"; first is "A, B".
    sentence = _("%(first)s and %(last)s").replace("{", "{{").replace("}", "}}")
    sentence = sentence.replace("%(first)s", "{first}").replace("%(last)s", "{last}")
    return format_html(
        sentence,
        first=format_html_join(", ", "{}", ((n,) for n in names[:-1])),
        last=names[-1],
    )


@register.filter
def undo_target(extra_tags):
    """The work id of a message that offers an undo (``extra_tags="undo:<id>"``), or "".

    Example: ``{% with undo=message.extra_tags|undo_target %}``
    """
    for tag in str(extra_tags or "").split():
        if tag.startswith("undo:") and tag[5:].isdigit():
            return int(tag[5:])
    return ""


@register.filter
def genre_hue(name):
    """The hue of a genre's colour, the same as on its drawn posters.

    Example: ``<li style="--hue:{{ name|genre_hue }}">``
    """
    return _genre_hue(str(name))


@register.simple_tag
def prediction(score):
    """A predicted rating as people read it, never a number on the model's scale: the label
    of the seen choice it is closest to, in a span classed by that choice; "" for None.

    Example: ``{% prediction score %}`` gives ``<span class="predicted predicted-like">
    you'll probably like it</span>`` for 2.37.
    """
    if score is None:
        return ""
    choice = predicted_choice(score)
    return format_html(
        '<span class="sub predicted predicted-{}">{}</span>', choice, PREDICTION_LABELS[choice]
    )
