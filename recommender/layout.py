"""The taste map's layout, computed at training time and saved with the model's index.

Each work the model was trained with gets a point in the plane: a t-SNE (scikit-learn,
Barnes-Hut) of its item factors and its tags together, so that works close on the map are
liked by the same people *and* share what they are about. The works are grouped into
regions (k-means in the same space), each named by the genres most over-represented in it
(docs/site.md, "Taste map"). A model saved without a layout still serves: the map says so.

Example::

    layout = compute_layout(factors, tags, tag_names, genre_mask, random_state=0)
    layout.xy[12], layout.labels[layout.region[12]]  # (0.31, -0.72), "Mecha · Military"
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

#: Works of one region per label: the smallest map has this many regions at least.
WORKS_PER_REGION = 250
MIN_REGIONS, MAX_REGIONS = 4, 14
#: A label's genres: at most this many, each over-represented at least ``MIN_LIFT`` times
#: and carried by at least ``MIN_SHARE`` of the region's works.
LABEL_GENRES, MIN_LIFT, MIN_SHARE = 2, 1.3, 0.2
#: Dimensions kept before t-SNE (PCA), as scikit-learn's guide advises for speed.
PCA_DIMENSIONS = 30
#: The factors and the tags count equally: each block is scaled to unit mean row norm.
TAG_WEIGHT = 1.0
QUALITY_SAMPLE = 2000  # works on which neighbour preservation is measured (O(n^2))
QUALITY_K = 10
#: t-SNE runs on the most rated works, at most this many (Barnes-Hut t-SNE costs about
#: 15 s for 2,000 works on one busy core); each other work is placed at the mean point of
#: its ``PLACE_K`` nearest neighbours among them, in the same feature space.
TSNE_MAX_WORKS = 3000
TSNE_ITERATIONS = 500
PLACE_K = 5


@dataclass(frozen=True)
class MapLayout:
    """Points in [-1, 1]^2 for the works of the model (rows; NaN for a work without
    one), their region (-1 without one), each region's label and centre, and how well
    the points keep the neighbours of the space they were computed from."""

    xy: np.ndarray  # (n_works, 2) float32
    region: np.ndarray  # (n_works,) int16
    labels: list[str]
    centres: np.ndarray  # (n_regions, 2) float32
    method: str = "tsne"
    quality: dict[str, float] = field(default_factory=dict)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays saved in the model's index (``layout_*``)."""
        return {
            "layout_xy": self.xy.astype(np.float32),
            "layout_region": self.region.astype(np.int16),
            "layout_labels": np.array(self.labels, dtype=np.str_),
            "layout_centres": self.centres.astype(np.float32),
            "layout_method": np.array(self.method),
            "layout_quality_keys": np.array(list(self.quality), dtype=np.str_),
            "layout_quality_values": np.array(list(self.quality.values()), dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, index) -> MapLayout | None:
        """The layout saved in an index file, None when it has none (an older model)."""
        if "layout_xy" not in index.files:
            return None
        return cls(
            xy=index["layout_xy"],
            region=index["layout_region"],
            labels=[str(label) for label in index["layout_labels"]],
            centres=index["layout_centres"],
            method=str(index["layout_method"]),
            quality=dict(
                zip(
                    [str(k) for k in index["layout_quality_keys"]],
                    [float(v) for v in index["layout_quality_values"]],
                    strict=True,
                )
            ),
        )


def features(factors: np.ndarray, tags: sp.spmatrix) -> np.ndarray:
    """The space the map is drawn from: item factors and tag rows, each block scaled to a
    unit mean row norm (neither drowns the other), side by side."""
    blocks = []
    for block in (np.asarray(factors, dtype=np.float64), _dense(tags)):
        if block.shape[1] == 0:
            continue
        norms = np.linalg.norm(block, axis=1)
        mean = norms[norms > 0].mean() if (norms > 0).any() else 1.0
        blocks.append(block / mean)
    if len(blocks) == 2:
        blocks[1] = blocks[1] * TAG_WEIGHT
    return np.hstack(blocks) if blocks else np.zeros((len(factors), 1))


def _dense(tags) -> np.ndarray:
    return tags.toarray() if sp.issparse(tags) else np.asarray(tags, dtype=np.float64)


def compute_layout(
    factors: np.ndarray,
    tags: sp.spmatrix,
    tag_names: list[str],
    genre_mask: np.ndarray | None = None,
    placed: np.ndarray | None = None,
    counts: np.ndarray | None = None,
    random_state: int = 0,
) -> MapLayout:
    """The map of the works whose rows ``placed`` marks (all by default): t-SNE of
    :func:`features` for the ``TSNE_MAX_WORKS`` with most ratings (``counts``), the others
    placed among their nearest neighbours; scaled into [-1, 1], cut into regions named by
    their genres (``genre_mask`` says which tags are genres; all tags when None or none
    is). One thread: on a shared machine t-SNE's threads wait on each other (14 s for 400
    works on two busy cores, 1.5 s on one)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.neighbors import NearestNeighbors
    from threadpoolctl import threadpool_limits

    n = len(factors)
    placed = np.ones(n, dtype=bool) if placed is None else np.asarray(placed, dtype=bool)
    rows = np.flatnonzero(placed)
    xy = np.full((n, 2), np.nan, dtype=np.float32)
    region = np.full(n, -1, dtype=np.int16)
    if len(rows) < 5:
        return MapLayout(xy, region, [], np.zeros((0, 2), dtype=np.float32))
    space = features(factors[rows], tags[rows])
    reduced = space
    if space.shape[1] > PCA_DIMENSIONS and len(rows) > PCA_DIMENSIONS:
        reduced = PCA(PCA_DIMENSIONS, random_state=random_state).fit_transform(space)
    counts = np.zeros(n) if counts is None else np.asarray(counts, dtype=np.float64)
    core = np.argsort(-counts[rows], kind="stable")[:TSNE_MAX_WORKS]
    perplexity = float(min(30.0, max(2.0, (len(core) - 1) / 3)))
    with threadpool_limits(limits=1):
        core_points = TSNE(
            n_components=2,
            perplexity=perplexity,
            init="pca",
            max_iter=TSNE_ITERATIONS,
            random_state=random_state,
        ).fit_transform(reduced[core])
    points = np.zeros((len(rows), 2))
    points[core] = core_points
    rest = np.setdiff1d(np.arange(len(rows)), core)
    if len(rest):
        finder = NearestNeighbors(n_neighbors=min(PLACE_K, len(core))).fit(reduced[core])
        nearest = finder.kneighbors(reduced[rest], return_distance=False)
        points[rest] = core_points[nearest].mean(axis=1)
    points = _scaled(points)
    xy[rows] = points
    k = int(np.clip(round(len(rows) / WORKS_PER_REGION), MIN_REGIONS, MAX_REGIONS))
    k = min(k, len(rows))
    # Regions are cut in the space the map comes from, not on the map: t-SNE draws some
    # groups as long bands that k-means on the plane would split in two.
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(reduced)
    region[rows] = kmeans.labels_
    labels = region_labels(kmeans.labels_, tags[rows], tag_names, genre_mask, k)
    quality = neighbour_quality(space, points, random_state)
    centres = np.array(
        [np.median(points[kmeans.labels_ == c], axis=0) for c in range(k)], dtype=np.float32
    )
    return MapLayout(xy, region, labels, centres, "tsne", quality)


def _scaled(points: np.ndarray) -> np.ndarray:
    """Centred and scaled so the furthest point lies at distance 1 on an axis."""
    centred = points - (points.max(axis=0) + points.min(axis=0)) / 2
    extent = np.abs(centred).max()
    return (centred / extent if extent > 0 else centred).astype(np.float32)


def region_labels(region, tags, tag_names, genre_mask, k: int) -> list[str]:
    """Each region's name: its genres most over-represented against the whole map
    (lift = share in the region / share overall, at least ``MIN_LIFT``, carried by at least
    ``MIN_SHARE`` of its works), best first, joined by " · "; the most common genres when
    none stands out (a region like the whole map).

    Example::

        >>> import scipy.sparse as sp
        >>> tags = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]]))
        >>> region_labels(np.array([0, 0, 1, 1]), tags, ["Mecha", "Romance"], None, 2)
        ['Mecha', 'Romance']
    """
    present = (tags > 0).astype(np.float64)
    present = present.toarray() if sp.issparse(present) else np.asarray(present)
    usable = np.ones(len(tag_names), dtype=bool)
    if genre_mask is not None and np.asarray(genre_mask).any():
        usable = np.asarray(genre_mask, dtype=bool)
    overall = present.mean(axis=0)
    labels = []
    for c in range(k):
        members = region == c
        if not members.any():
            labels.append("")
            continue
        share = present[members].mean(axis=0)
        lift = np.divide(share, overall, out=np.zeros_like(share), where=overall > 0)
        standing = usable & (lift >= MIN_LIFT) & (share >= MIN_SHARE)
        order = np.argsort(-(np.where(standing, share * np.log(np.maximum(lift, 1e-9)), -1.0)))
        chosen = [tag_names[j] for j in order[:LABEL_GENRES] if standing[j]]
        if not chosen:  # nothing stands out: the region's most common genres
            common = np.argsort(-np.where(usable, share, -1.0))[:LABEL_GENRES]
            chosen = [tag_names[j] for j in common if usable[j] and share[j] > 0]
        labels.append(" · ".join(name.title() if name.islower() else name for name in chosen))
    return labels


def knn_overlap(space: np.ndarray, points: np.ndarray, k: int = QUALITY_K) -> float:
    """Mean share of each work's ``k`` nearest neighbours in ``space`` that are also among
    its ``k`` nearest on the map (1: every neighbourhood kept).

    Example::

        >>> data = np.random.default_rng(0).normal(size=(50, 2))
        >>> knn_overlap(data, data * 3.0)
        1.0
    """
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(space) - 1)
    if k < 1:
        return float("nan")
    before = NearestNeighbors(n_neighbors=k + 1).fit(space).kneighbors(return_distance=False)
    after = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(return_distance=False)
    kept = [len(set(a[:k]) & set(b[:k])) for a, b in zip(before, after, strict=True)]
    return float(np.mean(kept) / k)


def neighbour_quality(space: np.ndarray, points: np.ndarray, random_state: int = 0) -> dict:
    """How well the map keeps the neighbourhoods of ``space``, next to the plane of its
    two principal axes (what the map used to be): trustworthiness (scikit-learn) and
    the 10-nearest-neighbour overlap, on a sample of ``QUALITY_SAMPLE`` works."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(random_state)
    sample = np.arange(len(space))
    if len(sample) > QUALITY_SAMPLE:
        sample = np.sort(rng.choice(sample, QUALITY_SAMPLE, replace=False))
    if len(sample) <= 2 * QUALITY_K + 1:
        return {}
    space, points = space[sample], points[sample]
    plane = PCA(2, random_state=random_state).fit_transform(space)
    return {
        "n": float(len(sample)),
        "tsne_trustworthiness": float(trustworthiness(space, points, n_neighbors=QUALITY_K)),
        "pca_trustworthiness": float(trustworthiness(space, plane, n_neighbors=QUALITY_K)),
        "tsne_knn_overlap": knn_overlap(space, points),
        "pca_knn_overlap": knn_overlap(space, plane),
    }
