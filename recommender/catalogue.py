"""The works a served model scores: the model's own, plus those created or re-tagged since
its snapshot (their tags and poster design rows computed at request time)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from django.db.models import Q

from mangaki.models import TaggedWork, Work
from recommender.model_files import Bundle
from recommender.snapshot import tag_matrix


class Catalogue:
    """The model's works plus those created or re-tagged since its snapshot: per row the
    work id, category, adult flag, franchise and tag row, and the content design."""

    def __init__(self, bundle: Bundle) -> None:
        model = bundle.model
        base = model.tag_matrix()
        extra = list(
            Work.objects.filter(
                Q(created_at__gt=bundle.snapshot_at) | Q(poster_tagged_at__gt=bundle.snapshot_at)
            )
            .order_by("pk")
            .values_list("pk", "category_id", "nsfw", "poster_embedding")
        )
        n_known = len(bundle.work_ids)
        self.work_ids, self.category, self.nsfw = (
            bundle.work_ids, bundle.work_category, bundle.work_nsfw)  # fmt: skip
        self.group = bundle.work_group if bundle.work_group is not None else np.arange(n_known)
        self.index, self.tags, self.design = bundle.work_index, base, model.design_
        if not extra:
            return
        new_ids = [pk for pk, *_ in extra if pk not in bundle.work_index]
        by_pk = {pk: (cat, nsfw) for pk, cat, nsfw, _ in extra}
        self.work_ids = np.concatenate([bundle.work_ids, np.array(new_ids, dtype=np.int64)])
        self.category = np.concatenate([bundle.work_category, [by_pk[p][0] for p in new_ids]])
        self.nsfw = np.concatenate([bundle.work_nsfw, [by_pk[p][1] for p in new_ids]])
        # A new work is its own franchise until the next training sees its title.
        self.group = np.concatenate([self.group, -1 - np.arange(len(new_ids))])
        self.index = {**bundle.work_index}
        self.index.update({p: n_known + k for k, p in enumerate(new_ids)})
        rows = np.array([self.index[pk] for pk, *_ in extra], dtype=np.int64)
        self.tags = self._tags(bundle, base, extra, rows)
        # Known works keep their fitted design row unless they were re-tagged.
        design = np.zeros((len(self.work_ids), model.design_.shape[1]), dtype=np.float32)
        design[:n_known] = model.design_
        blobs = [blob for *_, blob in extra]
        design[rows] = model.design(self.tags[rows], self._embeddings(model, blobs), len(rows))
        self.design = design

    def _tags(self, bundle: Bundle, base, extra, rows) -> sp.csr_matrix:
        positions, cols, vals = [], [], []
        for work_id, name, weight in TaggedWork.objects.filter(
            work_id__in=[pk for pk, *_ in extra]
        ).values_list("work_id", "tag__name", "weight"):
            j = bundle.tag_index.get(name)
            if j is not None:
                positions.append(self.index[work_id])
                cols.append(j)
                vals.append(weight)
        # Same rule as the training snapshot: a tag's strongest source wins.
        fresh = tag_matrix(positions, cols, vals, (len(self.work_ids), base.shape[1]))
        touched = np.zeros(len(self.work_ids), dtype=bool)
        touched[rows] = True
        padded = sp.vstack([base, sp.csr_matrix((len(self.work_ids) - base.shape[0],
                                                  base.shape[1]))]).tocsr()  # fmt: skip
        return (sp.diags((~touched).astype(float)) @ padded + fresh).tocsr()

    @staticmethod
    def _embeddings(model, blobs) -> np.ndarray | None:
        """The poster embeddings of the given works (zeros without one), None when the
        model uses none."""
        width = model.embedding_width()
        if width == 0:
            return None
        out = np.zeros((len(blobs), width), dtype=np.float32)
        for i, blob in enumerate(blobs):
            if blob and len(blob) == 4 * width:
                out[i] = np.frombuffer(bytes(blob), dtype=np.float32)
        return out
