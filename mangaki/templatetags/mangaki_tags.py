from django import template
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def poster(work, css_class="poster"):
    """The work's poster, falling back to a generated placeholder if missing or broken."""
    placeholder = static("img/poster-placeholder.svg")
    url = work.poster.url if work.poster else (work.poster_url or placeholder)
    return format_html(
        '<img class="{}" src="{}" alt="{}" loading="lazy" '
        "onerror=\"this.onerror=null;this.src='{}'\">",
        css_class,
        url,
        f"Poster of {work.title}",
        placeholder,
    )
