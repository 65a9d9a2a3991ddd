"""The French catalogue stays complete and in step with the code: every string translated,
placeholders kept, the compiled .mo file matching the .po file, and no marked string missing
from the catalogue."""

import ast
import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _po_entries(path: Path) -> list[dict]:
    """Each entry of a .po file as {"flags", "msgid", "msgid_plural", "msgstr": [...]}."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry = {"flags": set(), "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if key == "msgstr":
                    entry["msgstr"][-1] += value
                else:
                    entry[key] += value
            else:
                key, _, literal = line.partition(" ")
                value = ast.literal_eval(literal)
                if key.startswith("msgstr"):
                    key = "msgstr"
                    entry["msgstr"].append(value)
                else:
                    entry[key] = value
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _catalogue(mo: Path) -> dict:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_the_french_catalogue_is_complete_and_keeps_every_placeholder():
    entries = _po_entries(PO)
    header = next(e for e in entries if e["msgid"] == "")
    assert "fuzzy" not in header["flags"], "a fuzzy header is dropped by msgfmt, plurals with it"
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"][0]
    messages = [e for e in entries if e["msgid"]]
    assert len(messages) > 200
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"])]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not untranslated, f"untranslated entries: {untranslated}"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for entry in messages:
        expected = set(placeholder.findall(entry["msgid"] + entry.get("msgid_plural", "")))
        for text in entry["msgstr"]:
            assert set(placeholder.findall(text)) <= expected, entry["msgid"]
        # Every named placeholder of the plural form appears in the French plural form.
        assert set(placeholder.findall(entry.get("msgid_plural", entry["msgid"]))) <= set(
            placeholder.findall(entry["msgstr"][-1])
        ), entry["msgid"]


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="msgfmt (GNU gettext) is not installed")
def test_the_committed_mo_file_matches_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True)  # noqa: S603, S607
    assert _catalogue(MO) == _catalogue(fresh), "run: python manage.py compilemessages"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="xgettext (GNU gettext) is not installed")
def test_makemessages_would_find_no_new_string(tmp_path, monkeypatch, settings):
    """A string marked for translation but missing from the catalogue fails here, instead of
    staying English in French pages. makemessages runs on a copy, so the real file is untouched.
    """
    root = Path(settings.BASE_DIR)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for name in ("mangaki", "templates", "recommender", "tagger"):
        shutil.copytree(root / name, tmp_path / name, ignore=skip)
    shutil.copytree(LOCALE, tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["fr"], verbosity=0)

    committed = {(e["msgid"], e.get("msgid_plural")) for e in _po_entries(PO)}
    scanned = {
        (e["msgid"], e.get("msgid_plural")) for e in _po_entries(tmp_path / PO.relative_to(root))
    }
    assert scanned - committed == set(), (
        "new strings: run makemessages -l fr, translate them, then compilemessages"
    )
    assert committed - scanned == set(), "strings no longer used: run makemessages -l fr"
