"""Work run in separate processes by the concurrency tests: each builds its own app on the shared database."""

import traceback


def _app(url: str):
    from guarantees import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32})


def enter(url, barrier, number, results):
    """Enter one manual guarantee once the barrier opens."""
    app = _app(url)
    with app.app_context():
        from guarantees.services import guarantees

        barrier.wait()
        try:
            g = guarantees.create(
                {"guarantee_number": number, "raw_supplier_name": "Supplier", "raw_bank_name": "Bank", "amount": "100"},
                user=number,
            )
            results.put(("ok", g.import_batch_id))
        except Exception as error:  # reported to the test, which decides
            results.put(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))


def act(url, barrier, kind, guarantee_id, version, results):
    """Edit, extend or release one guarantee once the barrier opens."""
    app = _app(url)
    with app.app_context():
        from guarantees.services import actions, guarantees
        from guarantees.services.errors import Conflict, RuleViolation

        barrier.wait()
        try:
            if kind == "edit":
                guarantees.update(guarantee_id, {"comment": f"by {id(barrier)}"}, expected_version=version, user=kind)
            elif kind == "extend":
                actions.extend(guarantee_id, user=kind, version=version)
            else:
                actions.release(guarantee_id, user=kind, version=version)
            results.put(("ok", None))
        except (Conflict, RuleViolation) as error:
            results.put(("refused", error.message))
        except Exception as error:
            results.put(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))


def issue(url, barrier, what, ident, results):
    """Issue a whole action session ('session') or one of its drafts ('draft') once the barrier opens."""
    app = _app(url)
    with app.app_context():
        from guarantees.services import actions
        from guarantees.services.errors import Conflict, RuleViolation

        barrier.wait()
        try:
            if what == "session":
                actions.issue_session(ident, user="issuer")
            else:
                actions.issue_draft(ident, user="issuer")
            results.put(("ok", None))
        except (Conflict, RuleViolation) as error:
            results.put(("refused", error.message))
        except Exception as error:
            results.put(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
