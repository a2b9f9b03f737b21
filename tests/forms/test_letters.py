"""The letters' language."""

import pytest
from werkzeug.datastructures import MultiDict

from guarantees.forms.letters import LetterForm


@pytest.mark.parametrize(("lang", "printed"), [(None, "ar"), ("ar", "ar"), ("en", "en"), ("fr", "ar"), ("", "ar")])
def test_letters_are_printed_in_arabic_or_english(app, lang, printed):
    args = MultiDict() if lang is None else MultiDict({"lang": lang})
    with app.test_request_context():
        assert LetterForm(args).lang.data == printed
