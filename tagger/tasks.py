from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def tag_poster(work_id: int) -> dict[str, int]:
    """Compute the embedding and tags of one work's poster (queued when it changes)."""
    from tagger.service import tag_works

    return tag_works([work_id])


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def tag_posters(work_ids: list[int]) -> dict[str, int]:
    """Tag a batch of posters in one forward pass (the backlog command queues these)."""
    from tagger.service import tag_works

    return tag_works(work_ids)
