"""Tags by name, created on first use (imports, the poster tagger, the community)."""

import zlib

from django.utils.text import slugify

from mangaki.models import Tag


class TagCache:
    """Tag rows by name, created on first use; one query per batch of new names."""

    def __init__(self) -> None:
        self._by_name: dict[str, Tag] = {}

    def resolve(self, names: set[str], *, genres: frozenset[str] = frozenset()) -> dict[str, Tag]:
        missing = names - self._by_name.keys()
        if missing:
            for tag in Tag.objects.filter(name__in=missing):
                self._by_name[tag.name] = tag
            new = [n for n in sorted(missing) if n not in self._by_name]
            taken = set(
                Tag.objects.filter(slug__in=[slugify(n) for n in new]).values_list(
                    "slug", flat=True
                )
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
                self._by_name[tag.name] = tag
        return {n: self._by_name[n] for n in names}
