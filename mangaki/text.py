"""Text helpers shared by search, imports and title matching."""

import html
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_title(title: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed.

    Example::

        >>> normalize_title("  Pokémon: Mewtwo  Strikes Back!")
        'pokemon mewtwo strikes back'
    """
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).replace("_", " ").strip()


# Words that mark a sequel, a season or a spin-off of the same franchise, at a title's end.
_SEQUEL_WORDS = {
    "season", "seasons", "part", "cour", "movie", "movies", "film", "ova", "ovas", "ona",
    "special", "specials", "tv", "the", "series", "final", "first", "second", "third",
    "fourth", "fifth", "sixth", "2nd", "3rd", "4th", "5th", "6th", "ii", "iii", "iv", "v",
    "vi", "r2", "zoku", "kan", "shin", "kai", "recap", "picture", "drama", "gekijouban",
    "shippuuden", "shippuden", "brotherhood", "nd", "rd", "th", "st", "2", "3", "4", "5",
}  # fmt: skip
_SUBTITLE = re.compile(r"\s*(?::|\s-\s|～|~|\()")


def franchise_key(title: str) -> str:
    """The part of a title that its sequels, seasons and films share: the words before a
    subtitle, without trailing season or sequel markers and numbers.

    Example::

        >>> [franchise_key(t) for t in ("Gintama&#039;: Enchousen", "Haikyuu!! Second Season",
        ...  "Steins;Gate 0", "Code Geass: Hangyaku no Lelouch R2", "Naruto: Shippuuden")]
        ['gintama', 'haikyuu', 'steins gate', 'code geass', 'naruto']
    """
    head = _SUBTITLE.split(html.unescape(title), maxsplit=1)[0]
    words = normalize_title(head).split()
    while len(words) > 1 and (words[-1] in _SEQUEL_WORDS or words[-1].isdigit()):
        words.pop()
    return " ".join(words) or normalize_title(title)


def franchise_groups(titles: list[str], min_prefix: int = 6) -> list[int]:
    """A group number per title: titles share one when their :func:`franchise_key` is the
    same, or starts with another title's key of at least ``min_prefix`` characters
    ("Naruto" and "Naruto Shippuuden").

    Example::

        >>> franchise_groups(["Naruto", "Naruto Shippuuden", "Bleach", "Naruto: The Movie"])
        [0, 0, 1, 0]
    """
    keys = [franchise_key(t) for t in titles]
    known = set(keys)
    roots = {}
    for key in known:
        words = key.split()
        root = key
        for size in range(1, len(words)):
            prefix = " ".join(words[:size])
            if len(prefix) >= min_prefix and prefix in known:
                root = prefix
                break
        roots[key] = root
    numbers: dict[str, int] = {}
    return [numbers.setdefault(roots[k], len(numbers)) for k in keys]
