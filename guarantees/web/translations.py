"""Template gettext that finds the request's translations once, not on every string.

Flask-Babel's template callables look up the locale and its catalogue for each `_()`; a guarantee page
with a long timeline makes hundreds of them, which cost more than its SQL. The translations are kept
beside the locale they belong to, so `force_locale` (a letter in the other language) still switches them.
"""

from flask import g
from flask_babel import get_translations


def _translations():
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None)
    if locale is None:  # the locale is not chosen yet: Flask-Babel's own path chooses it
        return get_translations()
    cached = getattr(ctx, "translations_for_locale", None)
    if cached is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    ctx.translations_for_locale = (locale, translations)
    return translations


def install(app) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
