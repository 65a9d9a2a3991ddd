from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from mangaki.models import Profile, TaggedWork, TagSource, Work
from mangaki.models.catalog import PosterStatus

#: Sent by the ratings service (mangaki.services.ratings) once a change of a person's
#: ratings is committed, with ``user_id`` and ``work_ids``. The recommender subscribes
#: (recommender/signals.py), so the site's core never calls into it.
ratings_changed = Signal()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, raw=False, **kwargs):
    # Every account has a profile, so views never have to guess.
    if created and not raw:
        Profile.objects.get_or_create(user=instance)


@receiver(post_save, sender=Work)
def queue_poster_tagging(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """A poster added or replaced from anywhere (admin, API, import, fetch) gets tagged."""
    if raw or (update_fields is not None and "poster" not in update_fields):
        return
    name = instance.poster.name or ""
    if name == (getattr(instance, "_loaded_poster", None) or ""):
        return
    instance._loaded_poster = name
    if not name:
        Work.objects.filter(pk=instance.pk).update(
            poster_status=PosterStatus.NONE, poster_error="", poster_embedding=None
        )
        TaggedWork.objects.filter(work=instance, source=TagSource.POSTER).delete()
        return
    from tagger.service import request_tagging

    request_tagging([instance.pk], on_commit=True)
