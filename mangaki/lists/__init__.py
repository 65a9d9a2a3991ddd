"""Personal lists: import from MyAnimeList/AniList, export of all of a person's data.

- :mod:`.parsers` reads uploaded files into :class:`~.parsers.Entry` items (no Django);
- :mod:`.mapping` turns a status and score into one of the six choices (no Django);
- :mod:`.matching` finds the catalogue work of each entry;
- :mod:`.service` builds the preview plan and applies it;
- :mod:`.export` writes the zip and the MAL-compatible XML.
"""
