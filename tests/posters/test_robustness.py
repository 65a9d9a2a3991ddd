"""One bad poster never blocks the others; a poster that keeps killing the worker is set aside;
no stored message names a server path."""

import pytest
from django.core.files.base import ContentFile

from mangaki.models import TaggedWork, Work
from tests.factories import WorkFactory

pytestmark = pytest.mark.django_db


def _posters(poster_file, count):
    works = [WorkFactory(title=f"Poster {i}") for i in range(count)]
    for work in works:
        # Saved outside a commit callback: the posters wait in the backlog.
        work.poster.save(f"{work.pk}.jpg", ContentFile(poster_file.read_bytes()))
    return works


def test_an_unexpected_error_on_one_poster_is_recorded_on_it_alone(media, poster_file, monkeypatch):
    import tagger.vision.analysis as analysis
    from tagger.service import tag_works

    works = _posters(poster_file, 3)
    real = analysis.analyse_faces
    calls = []

    def breaks_on_the_second(image, *args, **kwargs):
        calls.append(image)
        if len(calls) == 2:
            raise RuntimeError("boom in /srv/app/tagger/vision/faces.py")
        return real(image, *args, **kwargs)

    monkeypatch.setattr(analysis, "analyse_faces", breaks_on_the_second)
    assert tag_works([w.pk for w in works]) == {"tagged": 2, "refused": 1, "skipped": 0}
    statuses = dict(Work.objects.values_list("pk", "poster_status"))
    assert sorted(statuses.values()) == ["error", "tagged", "tagged"]
    broken = Work.objects.get(poster_status="error")
    assert "RuntimeError" in broken.poster_error and "/" not in broken.poster_error
    assert not TaggedWork.objects.filter(work=broken, source="poster").exists()
    # Its batch-mates were analysed in full: an embedding each.
    assert all(Work.objects.get(pk=w.pk).poster_embedding for w in works if w != broken)


def test_a_missing_poster_file_is_refused_without_the_server_path(media, poster_file):
    from tagger.service import tag_works

    (work,) = _posters(poster_file, 1)
    path = work.poster.path
    work.poster.storage.delete(work.poster.name)
    assert tag_works([work.pk])["refused"] == 1
    work.refresh_from_db()
    assert work.poster_status == "error"
    assert str(media) not in work.poster_error and path not in work.poster_error
    assert "/" not in work.poster_error


def test_public_messages_hide_paths():
    from tagger.service import public_message

    message = public_message("[Errno 2] No such file or directory: '/var/lib/mangaki/media/p.jpg'")
    assert message == "[Errno 2] No such file or directory: '<file>'"
    assert public_message("C:\\srv\\media\\p.jpg is gone") == "<file> is gone"
    assert public_message("a JPEG or PNG") == "a JPEG or PNG"


def test_a_poster_started_too_often_is_refused_and_its_batch_mates_are_tagged(media, poster_file):
    from tagger.service import MAX_ATTEMPTS, _attempts_key, tag_works

    killer, innocent = _posters(poster_file, 2)
    from django.core.cache import cache

    # As if the worker had died MAX_ATTEMPTS times while this poster was being analysed.
    cache.set(_attempts_key(killer), MAX_ATTEMPTS, 60)
    outcome = tag_works([killer.pk, innocent.pk])
    killer.refresh_from_db()
    innocent.refresh_from_db()
    assert killer.poster_status == "error" and str(MAX_ATTEMPTS) in killer.poster_error
    assert innocent.poster_status == "tagged"
    assert outcome["refused"] == 1


def test_an_interrupted_batch_is_split_into_one_task_per_poster(media, poster_file, monkeypatch):
    import tagger.tasks
    from tagger.service import _attempts_key, tag_works

    works = _posters(poster_file, 3)
    from django.core.cache import cache

    cache.set(_attempts_key(works[1]), 1, 60)  # that batch started once and never finished
    queued = []
    monkeypatch.setattr(tagger.tasks.tag_poster, "delay", queued.append)
    assert tag_works([w.pk for w in works]) == {"tagged": 0, "refused": 0, "skipped": 3}
    assert sorted(queued) == sorted(w.pk for w in works)
    assert set(Work.objects.values_list("poster_status", flat=True)) == {"pending"}
    # Alone, each poster is tagged.
    for pk in queued:
        assert tag_works([pk])["tagged"] == 1


def test_the_backlog_command_gets_past_a_poster_that_fails(media, poster_file, monkeypatch):
    from django.core.management import call_command

    import tagger.vision.analysis as analysis

    works = _posters(poster_file, 3)
    real = analysis.analyse_faces
    calls = []

    def breaks_on_the_first(image, *args, **kwargs):
        calls.append(image)
        if len(calls) == 1:
            raise MemoryError
        return real(image, *args, **kwargs)

    monkeypatch.setattr(analysis, "analyse_faces", breaks_on_the_first)
    call_command("tag_posters", verbosity=0)
    assert sorted(Work.objects.values_list("poster_status", flat=True)) == [
        "error",
        "tagged",
        "tagged",
    ]
    assert len(works) == 3
