"""What work cards show besides the card fields: the genres, read for a whole list at once.

A card names up to three genres and its drawn placeholder takes their colours
(``{% poster %}``); loading them per card would cost a query each, so each page passes
its works here once, after choosing them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.template.loader import get_template

from mangaki.memo import VersionedMemo
from mangaki.models import Category, TaggedWork, Work
from mangaki.models.catalog import CARD_FIELDS, TagSource
from recommender.registry import active_version
from recommender.serving import Recommendation, recommend

GENRES_SHOWN = 3


def attach_genres(works: Iterable[Work | None]) -> None:
    """Set ``work.genre_names`` (metadata genres, alphabetical, at most three) on each work,
    in one query for all of them; works without genres get an empty list.

    Example::

        attach_genres(page.object_list)  # then {{ work.genre_names|join:", " }}
    """
    by_id: dict[int, list[Work]] = {}
    for work in works:
        if work is not None and not hasattr(work, "genre_names"):
            by_id.setdefault(work.pk, []).append(work)
    if not by_id:
        return
    names: dict[int, list[str]] = {pk: [] for pk in by_id}
    rows = (
        TaggedWork.objects.filter(
            work_id__in=list(by_id), source=TagSource.METADATA, tag__is_genre=True
        )
        .order_by("work_id", "tag__name")
        .values_list("work_id", "tag__name")
    )
    for work_id, name in rows:
        names[work_id].append(name)
    for pk, same in by_id.items():
        for work in same:
            work.genre_names = names[pk][:GENRES_SHOWN]


def non_empty_categories() -> list[Category]:
    """The categories that have at least one work, in their usual order: the header, the
    home page and the tabs offer only these (a catalogue without manga shows no manga
    tab; a page of an empty category reached by its address says how to fill it)."""
    return list(Category.objects.filter(Exists(Work.objects.filter(category=OuterRef("pk")))))


@dataclass(frozen=True)
class Sample:
    """What the site gives, shown to a visitor on the home page: the recommendations of
    someone who loved the category's three most rated works."""

    loved: list[Work]
    items: list[Recommendation]

    @property
    def loved_names(self) -> list[tuple[str]]:
        return [(work.title,) for work in self.loved]


# One model's samples, by category.
_samples: VersionedMemo[dict[int, Sample]] = VersionedMemo("mangaki.home_samples")
SAMPLE_SIZE = 4


def sample_recommendations(category: Category) -> Sample:
    """The home page's example, computed once per model version and category in each
    process (a fold and a ranking, ~30 ms): the same for every visitor, so not worth
    recomputing on every visit. Empty without a model."""
    version = active_version()
    samples = _samples.get_or_compute(version, dict)
    found = samples.get(category.pk)
    if found is not None:
        return found
    loved = list(
        Work.objects.filter(category=category, nsfw=False)
        .popular()
        .select_related("category")
        .only(*CARD_FIELDS)[:3]
    )
    ratings = [(work.pk, "favorite") for work in loved]
    items = []
    if version is not None and loved:
        items = recommend(
            None, ratings=ratings, category_id=category.pk, n=SAMPLE_SIZE, include_nsfw=False
        )
    return samples.setdefault(category.pk, Sample(loved=loved, items=items))


def warm_templates() -> int:
    """Compile every site template (and import the tag libraries they load) into the
    cached loader, at a worker's start: the first visitor of each page would otherwise
    wait for it (~50 ms for the recommendations page on the 2-core machine). Returns how
    many were compiled."""
    folder = Path(settings.BASE_DIR) / "templates"
    names = [path.relative_to(folder).as_posix() for path in folder.rglob("*.html")]
    for name in names:
        get_template(name)
    return len(names)
