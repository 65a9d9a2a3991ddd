"""The taste map: a category's works in the plane of the active model's item factors, and
where the person's taste points (docs/site.md, "Taste map").

The plane (a PCA of the ALS item factors of the category's most rated works) is computed
once per model version and category and kept in this process; a request only folds the
person in (milliseconds) and reads the titles of the works shown.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from mangaki.memo import VersionedMemo
from mangaki.models import Category, Work
from recommender.algorithms.projection import Plane, principal_plane
from recommender.facade import ServedModel, served_model
from recommender.serving import user_ratings

#: Works drawn on the map: the category's most rated in the model's training data.
MAP_SIZE = 1500
#: The user's marker sits this far out in the cloud of works (a quantile of their radii).
MARKER_QUANTILE = 0.9
DIGITS = 3
#: Unrated works listed as lying furthest in the user's direction.
TOWARD = 5


@dataclass(frozen=True)
class _Layout:
    plane: Plane
    items: np.ndarray  # model rows of the works drawn, most rated first
    scale: float  # divides coordinates so that the drawn works fit in [-1, 1]
    radius: float  # where the user's marker goes, in scaled units


_layouts: VersionedMemo[_Layout] = VersionedMemo("mangaki.tastemap_layouts", keep=None)
_lock = threading.Lock()


def _layout(model: ServedModel, category_id: int) -> _Layout:
    key = (model.version, category_id)
    layout = _layouts.get(key)
    if layout is None:
        with _lock:
            layout = _layouts.get(key)
            if layout is None:
                layout = _compute_layout(model, category_id)
                if any(version != model.version for version, _ in _layouts):
                    _layouts.clear()  # one model's layouts per process
                _layouts[key] = layout
    return layout


def _compute_layout(model: ServedModel, category_id: int) -> _Layout:
    factors = model.item_vectors()
    counts = model.item_counts()[: len(factors)]
    in_category = np.flatnonzero(model.catalogue.category[: len(factors)] == category_id)
    rated = in_category[counts[in_category] > 0]
    order = np.argsort(-counts[rated], kind="stable")
    items = rated[order][:MAP_SIZE]
    plane = principal_plane(factors[items])
    coords = plane.project(factors[items]) if len(items) else np.zeros((0, 2))
    radii = np.hypot(coords[:, 0], coords[:, 1])
    scale = float(radii.max()) if len(radii) and radii.max() > 0 else 1.0
    radius = float(np.quantile(radii, MARKER_QUANTILE)) / scale if len(radii) else 0.0
    return _Layout(plane=plane, items=items, scale=scale, radius=radius)


def taste_map(
    category: Category,
    user=None,
    *,
    ratings: list[tuple[int, str]] | None = None,
    include_nsfw: bool = False,
) -> dict | None:
    """The map's payload for a signed-in ``user`` or a visitor's session ``ratings``;
    None when no model is active yet.

    ``works`` rows are ``[id, x, y, title, choice or "", predicted score]`` with x and y in
    [-1, 1]; ``you`` is the user's marker ``[x, y]`` (None without ratings the model
    knows), ``toward`` the five unrated works furthest in that direction.

    Example::

        taste_map(anime, request.user)["works"][0]  # [42, 0.12, -0.5, "Akira", "like", 1.8]
    """
    model = served_model()
    if model is None:
        return None
    layout = _layout(model, category.pk)
    rated = user_ratings(user) if ratings is None else list(ratings)
    person = model.fold(rated)
    choice_of = dict(rated)

    # The user's rated works of this category are drawn even when not among the most rated.
    vectors = model.item_vectors()
    known = len(vectors)
    extra = [
        i
        for w, _ in rated
        if (i := model.row(w)) is not None and i < known and model.category_of(i) == category.pk
    ]
    items = np.unique(np.concatenate([layout.items, np.array(extra, dtype=np.int64)]))
    if not include_nsfw:
        items = items[~model.catalogue.nsfw[items].astype(bool)]
    ids = model.catalogue.work_ids[items]
    # The database has the last word: deleted works and works now marked adult drop out.
    visible = Work.objects.filter(pk__in=ids.tolist(), category=category)
    if not include_nsfw:
        visible = visible.filter(nsfw=False)
    titles = dict(visible.order_by().values_list("pk", "title"))  # a dict: no need to sort

    shown = np.array([w in titles for w in ids.tolist()], dtype=bool)
    items, ids = items[shown], ids[shown]
    coords = layout.plane.project(vectors[items]) / layout.scale
    scores = model.predict(person, items)
    # Rounded as arrays: a Python round() per number costs milliseconds on 1,500 works.
    works = [
        [w, x, y, titles[w], choice_of.get(w, ""), score]
        for w, (x, y), score in zip(
            ids.tolist(),
            np.round(coords, DIGITS).tolist(),
            np.round(scores, 2).tolist(),
            strict=True,
        )
    ]

    you, toward = None, []
    vector = model.taste_vector(person)
    direction = layout.plane.direction(vector) if vector is not None else np.zeros(2)
    length = float(np.hypot(*direction))
    if length > 0:
        unit = direction / length
        you = [round(float(v), DIGITS) for v in unit * layout.radius]
        along = np.where([w not in choice_of for w in ids.tolist()], coords @ unit, -np.inf)
        best = np.argsort(-along, kind="stable")[:TOWARD]
        toward = [[int(ids[k]), titles[int(ids[k])]] for k in best if np.isfinite(along[k])]
    return {
        "version": model.version,
        "works": works,
        "you": you,
        "toward": toward,
        "explained": [round(float(v), DIGITS) for v in layout.plane.explained],
        "rated_here": len(extra),
    }
