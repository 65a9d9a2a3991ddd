import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mangaki.models import Profile, Rating, TaggedWork
from recommender import registry
from recommender.models import RunStatus, TrainingRun
from recommender.snapshot import _narrowest_ids, take_snapshot
from recommender.training import TrainingBusy, start_run, train
from tests.factories import RatingFactory, TaggedWorkFactory, UserFactory, WorkFactory
from tests.recommendations.conftest import FAST


@pytest.mark.django_db
def test_snapshot_leaves_out_users_who_refused_research(alice, bob):
    work = WorkFactory()
    RatingFactory(user=alice, work=work, choice="favorite")
    RatingFactory(user=bob, work=work, choice="dislike")
    Profile.objects.filter(user=bob).update(research_ok=False)
    snapshot = take_snapshot()
    assert snapshot.user_ids.tolist() == [alice.pk]
    assert snapshot.ratings.values.tolist() == [4.0]


@pytest.mark.django_db
def test_snapshot_reads_every_range_of_rating_ids_on_postgresql(alice, bob, monkeypatch):
    from django.db import connection

    from recommender import snapshot as snapshot_module

    if connection.vendor != "postgresql":
        pytest.skip("the packed ranges are PostgreSQL's path (set DATABASE_URL)")
    works = [WorkFactory() for _ in range(5)]
    for work in works:
        RatingFactory(user=alice, work=work, choice="like")
    RatingFactory(user=bob, work=works[0], choice="favorite")
    Rating.objects.filter(user=alice, work=works[2]).delete()  # a gap in the ids
    whole = take_snapshot()
    monkeypatch.setattr(snapshot_module, "PACKED_RANGE", 2)  # four ranges for six ids
    ranged = take_snapshot()

    def triples(snapshot):
        r = snapshot.ratings
        return sorted(zip(r.users.tolist(), r.items.tolist(), r.values.tolist(), strict=True))

    assert ranged.ratings.nnz == whole.ratings.nnz == 5
    assert triples(ranged) == triples(whole)
    assert sorted(ranged.ratings.values.tolist()) == [2.0, 2.0, 2.0, 2.0, 4.0]


@pytest.mark.django_db
def test_snapshot_keeps_the_largest_member_ids(alice):
    """The snapshot reads member ids as 32-bit numbers when they fit (the largest one
    PostgreSQL's auth_user holds, here) and as 64-bit ones otherwise."""
    works = [WorkFactory() for _ in range(3)]
    late = UserFactory(id=2**31 - 1)
    Profile.objects.filter(user=late).update(research_ok=True)
    RatingFactory(user=alice, work=works[0], choice="like")
    RatingFactory(user=late, work=works[1], choice="favorite")
    RatingFactory(user=late, work=works[2], choice="dislike")
    snapshot = take_snapshot()
    assert snapshot.user_ids.tolist() == [alice.pk, 2**31 - 1]
    r = snapshot.ratings
    rated = sorted(zip(r.users.tolist(), r.items.tolist(), r.values.tolist(), strict=True))
    column = {pk: j for j, pk in enumerate(snapshot.work_ids.tolist())}
    assert rated == [
        (0, column[works[0].pk], 2.0),
        (1, column[works[1].pk], 4.0),
        (1, column[works[2].pk], -2.0),
    ]
    assert _narrowest_ids(np.array([2**31 - 1])).dtype == np.int32
    assert _narrowest_ids(np.array([2**31 + 7])).tolist() == [2**31 + 7]


@pytest.mark.django_db
def test_snapshot_order_does_not_depend_on_the_order_ratings_were_stored(alice, bob):
    works = [WorkFactory() for _ in range(4)]
    pairs = [(bob, works[2], "like"), (alice, works[3], "favorite"), (bob, works[0], "dislike")]
    pairs += [(alice, works[1], "neutral"), (alice, works[0], "like")]
    for user, work, choice in pairs:
        RatingFactory(user=user, work=work, choice=choice)
    first = take_snapshot()
    Rating.objects.all().delete()
    for user, work, choice in reversed(pairs):  # new ids, in the opposite order
        RatingFactory(user=user, work=work, choice=choice)
    second = take_snapshot()
    keys = list(zip(second.ratings.users.tolist(), second.ratings.items.tolist(), strict=True))
    assert keys == sorted(keys)
    assert second.fingerprint() == first.fingerprint()
    assert second.ratings.values.tolist() == first.ratings.values.tolist()


@pytest.mark.django_db
def test_snapshot_tag_matrix_keeps_the_strongest_source():
    work, other = WorkFactory(), WorkFactory()
    TaggedWorkFactory(work=work, tag__name="space", source="metadata", weight=1.0)
    TaggedWorkFactory(work=work, tag__name="space", source="poster", weight=0.4)
    TaggedWorkFactory(work=other, tag__name="blonde hair", source="poster", weight=0.7)
    snapshot = take_snapshot()
    assert snapshot.tag_names == ["blonde hair", "space"]
    dense = snapshot.item_features.toarray()
    row = {w: i for i, w in enumerate(snapshot.work_ids.tolist())}
    assert dense[row[work.pk]].tolist() == [0.0, 1.0]
    assert dense[row[other.pk]].tolist() == [pytest.approx(0.7), 0.0]


def test_training_records_a_run_and_activates_the_first_model(demo_site):
    run = train("test", FAST)
    assert run.status == RunStatus.SUCCEEDED and run.is_active
    assert run.n_ratings == Rating.objects.count() and run.n_users == 60
    assert run.n_tags == TaggedWork.objects.values("tag").distinct().count()
    for key in ("rmse", "rmse_little_known", "rmse_cold_start", "als_rmse", "lasso_rmse"):
        assert np.isfinite(run.metrics[key]), key
    # The lists' held-out top-N figures sit next to RMSE, with the popularity list's.
    for key in ("recall_at_20", "ndcg_at_20", "popularity_recall_at_20"):
        assert 0.0 <= run.metrics[key] <= 1.0, key
    assert run.metrics["recall_at_20"] > run.metrics["popularity_recall_at_20"]
    assert set(run.durations) >= {"snapshot", "evaluate", "fit", "total"}
    assert len(run.fingerprint) == 64
    assert registry.active_bundle().version == run.version


def test_a_worse_model_is_kept_but_not_activated_and_rollback_works(demo_site, settings):
    first = train("test", FAST)
    settings.MODEL_TOLERANCE = 0.0
    TrainingRun.objects.filter(pk=first.pk).update(metrics={**first.metrics, "rmse": 0.01})
    second = train("test", FAST)
    assert second.status == RunStatus.REJECTED and not second.is_active
    assert "worse than the active model" in second.reason
    assert registry.active_version() == first.version
    # Forcing the second by hand, then rolling back, returns to the first.
    call_command("rollback_model", "--model", second.version)
    assert registry.active_version() == second.version
    call_command("rollback_model")
    assert registry.active_version() == first.version
    with pytest.raises(CommandError, match="no earlier model"):
        call_command("rollback_model")


def test_a_model_whose_lists_got_worse_is_not_activated(demo_site, settings):
    first = train("test", FAST)
    settings.MODEL_TOPN_TOLERANCE = 0.05
    TrainingRun.objects.filter(pk=first.pk).update(metrics={**first.metrics, "recall_at_20": 0.999})
    second = train("test", FAST)
    assert second.status == RunStatus.REJECTED and not second.is_active
    assert "top-20 recall" in second.reason and "active model" in second.reason
    assert registry.active_version() == first.version


def test_two_trainings_never_overlap(demo_site):
    running = start_run("first")
    with pytest.raises(TrainingBusy, match=running.version):
        start_run("second")


def test_a_run_whose_process_died_is_marked_failed(demo_site, settings):
    import datetime as dt

    from django.utils import timezone

    run = start_run("doomed")
    TrainingRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=settings.TRAINING_STALE_SECONDS + 1)
    )
    # The next training reaps the dead one before starting.
    new = train("next", FAST)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "heartbeat" in run.error
    assert new.status == RunStatus.SUCCEEDED


def test_training_without_ratings_fails_cleanly(db, models_dir):
    UserFactory()
    with pytest.raises(ValueError, match="not enough to train"):
        train("test", FAST)
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.FAILED and "not enough" in run.error
    assert registry.active_bundle() is None


def test_train_command_prints_held_out_metrics(demo_site, capsys):
    call_command("train", "--iterations", "3", "--rank", "5", verbosity=0)
    out = capsys.readouterr().out
    assert "held-out: rmse" in out and "recall_at_20" in out and "succeeded" in out


def test_pick_max_neighbours_serves_a_sparse_item_to_item_matrix(demo_site, anime):
    import scipy.sparse as sp
    from django.contrib.auth import get_user_model

    from recommender.serving import recommend

    run = train("test", {**FAST, "pick_max_neighbours": 5})
    assert run.params["pick_max_neighbours"] == 5
    coef = registry.active_bundle().model.pick_.coef_
    assert sp.issparse(coef)
    assert coef.getnnz(axis=1).max() == 5
    member = get_user_model().objects.get(username="demo_0007")
    recs = recommend(member, category_id=anime.pk, n=10)
    assert len(recs) == 10
