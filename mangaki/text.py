"""Text helpers shared by search, imports and title matching."""

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
