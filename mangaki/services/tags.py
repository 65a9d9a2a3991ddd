"""Tags by name, created on first use (imports, the poster tagger, the community)."""

import zlib
from collections.abc import Iterable

from django.utils.text import slugify

from mangaki.models import Tag


def tags_by_name(
    names: Iterable[str],
    *,
    genres: frozenset[str] = frozenset(),
    known: dict[str, Tag] | None = None,
) -> dict[str, Tag]:
    """The Tag rows of ``names``, creating the missing ones (flagged as genres when in
    ``genres``); one query per batch of new names. A caller writing many batches passes
    the same ``known`` dict each time, which keeps the tags already read.

    Example::

        tags_by_name({"mecha", "space"})  # -> {"mecha": <Tag mecha>, "space": <Tag space>}
    """
    names = set(names)
    known = {} if known is None else known
    missing = names - known.keys()
    if missing:
        for tag in Tag.objects.filter(name__in=missing):
            known[tag.name] = tag
        new = [n for n in sorted(missing) if n not in known]
        taken = set(
            Tag.objects.filter(slug__in=[slugify(n) for n in new]).values_list("slug", flat=True)
        )
        to_create = []
        for name in new:
            slug = slugify(name)[:90] or "tag"
            if slug in taken:
                slug = f"{slug}-{zlib.crc32(name.encode()) % 100_000}"
            taken.add(slug)
            to_create.append(Tag(name=name, slug=slug, is_genre=name in genres))
        Tag.objects.bulk_create(to_create, ignore_conflicts=True)
        for tag in Tag.objects.filter(name__in=new):
            known[tag.name] = tag
    return {n: known[n] for n in names}
