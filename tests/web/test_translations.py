"""Template gettext keeps the request's translations, and still follows force_locale."""

from flask_babel import force_locale, get_locale

from guarantees.web import translations


def test_translations_are_kept_per_locale_and_follow_force_locale(app):
    with app.test_request_context("/"):
        get_locale()  # the request's locale is chosen
        first = translations._translations()
        assert translations._translations() is first
        with force_locale("ar"):
            arabic = translations._translations()
            assert arabic is not first and str(get_locale()) == "ar"
        assert translations._translations() is first
        rendered = app.jinja_env.from_string('{{ _("Hello %(name)s", name="<b>") }}').render()
        assert rendered == "Hello &lt;b&gt;"
