"""Ids outside the databases' integer range: a 404 on every endpoint that takes an id in its path, whatever the
method (a signed-in admin with a valid CSRF token), on both databases; and never a 500 from a parameter or form
field that carries one."""

import importlib
import inspect
import pkgutil
import re

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter

import guarantees.forms
from guarantees.domain.ids import MAX_ID
from tests.production.test_security import placeholder

OUT_OF_RANGE = [2**31, 2**63, 2**64, -1, 0, 10**30]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HUGE = str(2**63)


def id_rules(app):
    """(rule, [its int-like arguments]) for every rule that takes a number in its path."""
    found = []
    for rule in app.url_map.iter_rules():
        numbers = [arg for arg in rule.arguments if isinstance(rule._converters[arg], IntegerConverter)]
        if numbers:
            found.append((rule, numbers))
    return found


def url_with(app, rule, **values) -> str:
    """The rule's URL with `values`, the other arguments at their placeholders (no check on the values)."""
    arguments = {arg: placeholder(rule._converters[arg]) for arg in rule.arguments}
    with app.test_request_context():
        assert url_for(rule.endpoint, **arguments)  # the rule is one url_for builds
    arguments.update(values)
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda match: str(arguments[match.group(1)]), rule.rule)


def test_every_number_in_a_path_is_bounded_by_the_id_range(app):
    rules = id_rules(app)
    assert len(rules) >= 20
    for rule, numbers in rules:
        for arg in numbers:
            converter = rule._converters[arg]
            assert converter.max is not None and converter.max <= MAX_ID, (rule.rule, arg)
            assert not converter.signed, (rule.rule, arg)


def test_an_id_out_of_range_is_404_on_every_endpoint_and_method(app, admin, make_guarantee):
    make_guarantee("IDS1")  # a row with id 1, so that the other arguments name something
    checked = 0
    for rule, numbers in id_rules(app):
        methods = sorted((rule.methods or set()) & set(METHODS))
        for arg in numbers:
            for value in OUT_OF_RANGE:
                url = url_with(app, rule, **{arg: value})
                for method in methods:
                    response = admin.client.open(url, method=method, headers={"X-CSRFToken": admin.token}, data={})
                    assert response.status_code == 404, (rule.endpoint, method, url, response.status_code)
                    checked += 1
    assert checked >= 20 * len(OUT_OF_RANGE)


def test_an_id_at_the_top_of_the_range_is_a_plain_404(app, admin):
    for rule, numbers in id_rules(app):
        url = url_with(app, rule, **dict.fromkeys(numbers, MAX_ID))
        response = admin.client.get(url) if "GET" in rule.methods else None
        if response is not None:
            assert response.status_code == 404, (rule.endpoint, url, response.status_code)


def form_field_names() -> set[str]:
    """The names of every field of every form the app has (the parameters a request may carry)."""
    names = set()
    for module_info in pkgutil.iter_modules(guarantees.forms.__path__):
        module = importlib.import_module(f"guarantees.forms.{module_info.name}")
        for _, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, FlaskForm) and form.__module__ == module.__name__:
                names.update(name for name, value in vars(form).items() if hasattr(value, "field_class"))
    names.discard("csrf_token")
    return names


def test_huge_numbers_in_any_parameter_or_form_field_are_never_a_500(app, admin, make_guarantee):
    guarantee = make_guarantee("IDS2")
    names = form_field_names() | {"id", "ids", "guarantee_id", "action_id", "session_id", "batch_id", "user_id"}
    assert len(names) >= 20
    values = {name: HUGE for name in names}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout") or rule.endpoint.startswith("users."):
            continue  # signing out, or changing the signed-in admin's own account, would end the sweep early
        url = url_with(app, rule, **{a: guarantee.id for a in id_rules_args(rule)})
        for method in sorted((rule.methods or set()) & set(METHODS)):
            if method == "GET":
                response = admin.client.get(url, query_string=values)
            else:
                response = admin.client.open(url, method=method, headers={"X-CSRFToken": admin.token}, data=values)
            assert response.status_code < 500, (rule.endpoint, method, url, response.status_code)


def id_rules_args(rule) -> list[str]:
    return [arg for arg in rule.arguments if isinstance(rule._converters[arg], IntegerConverter)]


@pytest.mark.parametrize("user_id", [2**31, 2**63, 2**64])
def test_the_accounts_endpoints_refuse_huge_ids_in_forms_too(app, admin, make_user, user_id):
    other = make_user("other-account", "viewer")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("users.") or "POST" not in rule.methods:
            continue
        numbers = id_rules_args(rule)
        url = url_with(app, rule, **dict.fromkeys(numbers, other.id))
        data = {name: str(user_id) for name in ("id", "user_id", "role", "active", "email", "page")}
        response = admin.client.post(url, headers={"X-CSRFToken": admin.token}, data=data)
        assert response.status_code < 500, (rule.endpoint, url, response.status_code)
