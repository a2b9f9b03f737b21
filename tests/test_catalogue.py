"""The Arabic catalogue is complete: every message the code and templates hold has a checked translation."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list:
    """The messages of the code as `make translations` extracts them."""
    pot = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    keywords = ["-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2", "-k", "lazy_ngettext:1,2"]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", *keywords, "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as source:
        return [message for message in read_po(source) if message.id]


def _arabic():
    with (ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale="ar")


def test_every_message_has_an_arabic_translation(extracted):
    arabic = _arabic()
    missing = [
        m.id
        for m in extracted
        if arabic.get(m.id, context=m.context) is None or not _complete(arabic.get(m.id, context=m.context))
    ]
    assert not missing, (
        f"{len(missing)} messages without a checked Arabic translation (run make translations): {missing[:20]}"
    )


def test_translations_keep_every_placeholder():
    wrong = []
    for message in _arabic():
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_forms(message.id))))
        wrong += [message.id for text in _forms(message.string) if text and set(PLACEHOLDER.findall(text)) != wanted]
    assert not wrong, wrong


def test_arabic_plurals_have_all_six_forms():
    arabic = _arabic()
    assert arabic.num_plurals == 6
    short = [m.id for m in arabic if isinstance(m.id, tuple) and len([s for s in m.string if s]) != 6]
    assert not short, short


def _forms(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _complete(message) -> bool:
    return not message.fuzzy and all(_forms(message.string))
