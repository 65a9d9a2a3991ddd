from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from mangaki.security.urls import safe_poster_url

register = template.Library()


@register.simple_tag
def poster(work, css_class="poster"):
    """The work's poster, falling back to a generated placeholder if missing or broken:
    static/js/posters.js swaps a poster that fails to load for ``data-fallback`` (no
    inline handler, which the Content-Security-Policy forbids)."""
    placeholder = static("img/poster-placeholder.svg")
    url = work.poster.url if work.poster else (safe_poster_url(work.poster_url) or placeholder)
    return format_html(
        '<img class="{}" src="{}" alt="{}" loading="lazy" data-fallback="{}">',
        css_class,
        url,
        _("Poster of %(title)s") % {"title": work.title},
        placeholder,
    )


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
