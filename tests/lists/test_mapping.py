import pytest

from mangaki.lists.mapping import Mapping


@pytest.mark.parametrize(
    "status,score,expected",
    [
        ("completed", 10, "favorite"),  # the top of the scale is what "favorite" means
        ("completed", 9, "like"),
        ("completed", 7, "like"),
        ("completed", 6, "neutral"),
        ("completed", 5, "neutral"),
        ("completed", 4, "dislike"),
        ("completed", 1, "dislike"),
        ("completed", 0, "neutral"),  # unscored but seen
        ("dropped", 9, "wontsee"),
        ("planned", 0, "willsee"),
        ("watching", 8, "like"),
        ("watching", 0, "skip"),
        ("on_hold", 3, "dislike"),
        ("on_hold", 0, "skip"),
        ("unknown", 9, "like"),
        ("unknown", 0, "skip"),
    ],
)
def test_default_mapping_follows_the_original_site(status, score, expected):
    assert Mapping().choice(status, score) == expected


def test_favorites_from_scores_can_be_turned_off():
    assert Mapping(favorite_min=0).choice("completed", 10) == "like"


def test_every_rule_can_be_adjusted():
    m = Mapping(
        favorite_min=9,
        like_min=8,
        neutral_min=6,
        unscored="skip",
        dropped="dislike",
        planned="skip",
        watching="willsee",
    )
    assert [m.choice("completed", s) for s in (10, 9, 8, 7, 6, 5, 0)] == [
        "favorite",
        "favorite",
        "like",
        "neutral",
        "neutral",
        "dislike",
        "skip",
    ]
    assert (m.choice("dropped", 2), m.choice("planned", 0), m.choice("watching", 9)) == (
        "dislike",
        "skip",
        "willsee",
    )


def test_calibration_makes_the_users_top_scores_favorites():
    generous = Mapping(calibrate=True).calibrated([10] * 3 + [9] * 7 + [8] * 20)
    harsh = Mapping(calibrate=True).calibrated([8] * 3 + [7] * 7 + [5] * 20 + [0] * 50)
    assert generous.favorite_min == 10 and harsh.favorite_min == 8
    assert harsh.choice("completed", 8) == "favorite" and harsh.choice("completed", 7) == "like"
    # Never below the like threshold, even for someone who never scores above 6.
    assert Mapping(calibrate=True).calibrated([6, 5, 4]).favorite_min == 7


@pytest.mark.parametrize(
    "data", [{"like_min": 4, "neutral_min": 6}, {"dropped": "hate"}, {"favorite_min": 5}]
)
def test_inconsistent_mappings_are_refused(data):
    with pytest.raises(ValueError):
        Mapping.from_dict(data)
