"""Admin pages: staff accounts, and the supplier and bank dictionaries (add, edit, merge, aliases)."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from guarantees.domain.labels import ROLE_LABELS
from guarantees.models.user import ROLES
from guarantees.repositories import matching as repo
from guarantees.services import review as service
from guarantees.services.errors import DomainError
from guarantees.web.rendering import is_htmx, render, toast
from guarantees.web.security import username

bp = Blueprint("admin", __name__, url_prefix="/admin")
KINDS = {"suppliers": "supplier", "banks": "bank"}


@bp.before_request
def _admins_only():
    """Every admin page is for admins (sign-in itself is checked before this, app-wide)."""
    if not current_user.is_authenticated or not current_user.can("admin"):
        abort(403)


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    role = SelectField(_l("Role"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES], default="viewer")
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=service.MIN_PASSWORD, max=200)])


def _text(label, limit: int = 300, required: bool = False) -> StringField:
    first = DataRequired() if required else Optional()
    return StringField(label, validators=[first, Length(max=limit)])


class SupplierForm(FlaskForm):
    official_name = _text(_l("Official name"), required=True)
    display_name = _text(_l("Display name"))


class BankForm(FlaskForm):
    official_name = _text(_l("Official name"), required=True)
    official_name_en = _text(_l("English name"))
    official_name_ar = _text(_l("Arabic name"))
    short_code = _text(_l("Short code"), 20)
    department = _text(_l("Department"))
    address_line_1 = _text(_l("Address line 1"))
    address_line_2 = _text(_l("Address line 2"))
    contact_email = _text(_l("E-mail"), 200)


FORMS = {"supplier": SupplierForm, "bank": BankForm}
SAVE = {"supplier": service.save_supplier, "bank": service.save_bank}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


def _fail(form: FlaskForm, error: DomainError) -> None:
    """A service refusal shown on its field (or on the form)."""
    target = getattr(form, error.field, None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


# -- staff accounts ------------------------------------------------------------------------------------------------


def _users_page(form: UserForm | None = None, status: int = 200):
    return render("admin/users.html", users=repo.list_users(), form=form or UserForm(), roles=ROLES, status=status)


@bp.get("/users")
def users():
    """Every account with its role; a form to create one."""
    return _users_page()


@bp.post("/users")
def create_user():
    """Create an account with a role (the password is stored hashed)."""
    form = UserForm()
    if not form.validate_on_submit():
        return _users_page(form, 422)
    try:
        account = service.create_user(form.username.data, form.role.data, form.password.data, user=username())
    except DomainError as error:
        _fail(form, error)
        return _users_page(form, 422)
    flash(_("Account %(name)s created.", name=account.username), "success")
    return redirect(url_for("admin.users"), 303)


def _user_row(account, error: str | None = None, status: int = 200, message: str | None = None):
    """One account's row (htmx), or back to the list with a flash."""
    if not is_htmx():
        if error or message:
            flash(error or message, "error" if error else "success")
        return redirect(url_for("admin.users"), 303)
    body = render_template("admin/_user_row.html", account=account, roles=ROLES, error=error)
    response = make_response(body, status)
    if error or message:
        toast(response, error or message, "error" if error else "success")
    return response


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    """Give an account another role."""
    try:
        account = service.change_role(user_id, request.form.get("role", ""), user=username())
    except DomainError as error:
        return _user_row(_account_or_404(user_id), error.message, 422)
    return _user_row(account, message=_("%(name)s is now %(role)s.", name=account.username, role=_(account.role)))


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    """Disable an account, or enable it again."""
    active = request.form.get("active") == "1"
    try:
        account = service.set_active(user_id, active, user=username())
    except DomainError as error:
        return _user_row(_account_or_404(user_id), error.message, 422)
    message = (
        _("%(name)s can sign in.", name=account.username)
        if active
        else _("%(name)s is disabled.", name=account.username)
    )
    return _user_row(account, message=message)


def _account_or_404(user_id: int):
    account = repo.get_user(user_id)
    if account is None:
        abort(404)
    return account


# -- dictionaries --------------------------------------------------------------------------------------------------


def _dictionary_page(entity: str, form: FlaskForm | None = None, status: int = 200):
    q = request.args.get("q", "").strip()
    show_merged = request.args.get("merged") == "1"
    page = repo.dictionary_page(entity, q=q, page=request.args.get("page", 1, type=int), show_merged=show_merged)
    if form is None:
        form = FORMS[entity](formdata=None, official_name=request.args.get("name", ""))
    kind = "suppliers" if entity == "supplier" else "banks"
    return render(
        "admin/dictionary.html",
        "table",
        status=status,
        entity=entity,
        kind=kind,
        page=page,
        q=q,
        show_merged=show_merged,
        form=form,
    )


@bp.get("/suppliers")
def suppliers():
    """The supplier dictionary: search, add, edit, merge duplicates, aliases."""
    return _dictionary_page("supplier")


@bp.get("/banks")
def banks():
    """The bank dictionary: names, short code and the address block of letters; merge duplicates, aliases."""
    return _dictionary_page("bank")


@bp.post("/<any(suppliers, banks):kind>")
def add_entry(kind: str):
    """Add a supplier or bank."""
    entity = _kind(kind)
    form = FORMS[entity]()
    if not form.validate_on_submit():
        return _dictionary_page(entity, form, 422)
    try:
        entry = SAVE[entity](None, form.data, user=username())
    except DomainError as error:
        _fail(form, error)
        return _dictionary_page(entity, form, 422)
    flash(_("%(name)s added.", name=entry.label), "success")
    return redirect(url_for(f"admin.{kind}", q=entry.label), 303)


def _row_or_404(entity: str, entry_id: int) -> repo.DictionaryRow:
    row = repo.dictionary_row(entity, entry_id)
    if row is None:
        abort(404)
    return row


def _entry_row(entity: str, row, *, status: int = 200, message: str | None = None):
    body = render_template("admin/_entry_row.html", entity=entity, kind=_kind_of(entity), row=row)
    response = make_response(body, status)
    return toast(response, message) if message else response


def _kind_of(entity: str) -> str:
    return "suppliers" if entity == "supplier" else "banks"


@bp.get("/<any(suppliers, banks):kind>/<int:entry_id>")
def entry(kind: str, entry_id: int):
    """One entry's row (what Cancel goes back to)."""
    entity = _kind(kind)
    row = _row_or_404(entity, entry_id)
    if not is_htmx():
        return redirect(url_for(f"admin.{kind}", q=row.entry.label), 303)
    return _entry_row(entity, row)


def _edit_form(entity: str, row, form: FlaskForm, status: int = 200):
    context = {"entity": entity, "kind": _kind_of(entity), "row": row, "form": form}
    if is_htmx():
        return make_response(render_template("admin/_entry_form.html", **context), status)
    return render("admin/edit.html", status=status, **context)


@bp.get("/<any(suppliers, banks):kind>/<int:entry_id>/edit")
def edit_entry(kind: str, entry_id: int):
    """The entry's form: in place of its row (htmx) or as a page."""
    entity = _kind(kind)
    row = _row_or_404(entity, entry_id)
    if row.merged_into:
        abort(404)
    return _edit_form(entity, row, FORMS[entity](obj=row.entry))


@bp.post("/<any(suppliers, banks):kind>/<int:entry_id>")
def save_entry(kind: str, entry_id: int):
    """Save an edited entry; its row again (htmx) or back to the list."""
    entity = _kind(kind)
    row = _row_or_404(entity, entry_id)
    form = FORMS[entity]()
    if not form.validate_on_submit():
        return _edit_form(entity, row, form, 422)
    try:
        saved = SAVE[entity](entry_id, form.data, user=username())
    except DomainError as error:
        _fail(form, error)
        return _edit_form(entity, row, form, 422)
    message = _("%(name)s saved.", name=saved.label)
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for(f"admin.{kind}", q=saved.label), 303)
    return _entry_row(entity, _row_or_404(entity, entry_id), message=message)


@bp.post("/aliases/<int:alias_id>/delete")
def delete_alias(alias_id: int):
    """Forget a learned alias; the entry's row again (htmx) or back to its list."""
    try:
        entity, entry_id = service.delete_alias(alias_id, user=username())
    except DomainError as error:
        if is_htmx():
            return toast(make_response("", 404), error.message, "error")
        abort(404)
    message = _("Alias removed.")
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for(f"admin.{_kind_of(entity)}"), 303)
    return _entry_row(entity, _row_or_404(entity, entry_id), message=message)


def _merge_page(entity: str, source, *, into=None, error: str | None = None, status: int = 200):
    q = request.args.get("q", "").strip()
    options = [choice for choice in repo.search(entity, q) if choice.id != source.entry.id] if q else []
    total, locked = repo.usage(entity, source.entry.id)
    return render(
        "admin/merge.html",
        status=status,
        entity=entity,
        kind=_kind_of(entity),
        source=source,
        into=into,
        usage=total,
        locked=locked,
        options=options,
        q=q,
        error=error,
    )


@bp.get("/<any(suppliers, banks):kind>/<int:entry_id>/merge")
def merge_entry(kind: str, entry_id: int):
    """Merge a duplicate: pick the entry to keep, then confirm what will happen."""
    entity = _kind(kind)
    source = _row_or_404(entity, entry_id)
    if source.merged_into:
        flash(_("This entry was already merged."), "error")
        return redirect(url_for(f"admin.{kind}"), 303)
    into = None
    into_id = request.args.get("into", type=int)
    if into_id is not None:
        into = repo.dictionary_row(entity, into_id)
        if into is None or into.merged_into or into_id == entry_id:
            return _merge_page(entity, source, error=_("Choose another entry to keep."), status=422)
    return _merge_page(entity, source, into=into)


@bp.post("/<any(suppliers, banks):kind>/<int:entry_id>/merge")
def merge_confirmed(kind: str, entry_id: int):
    """Merge, after the confirmation: guarantees and aliases follow the kept entry."""
    entity = _kind(kind)
    source = _row_or_404(entity, entry_id)
    into_id = request.form.get("into_id", type=int)
    if into_id is None:
        return _merge_page(entity, source, error=_("Choose the entry to keep."), status=422)
    try:
        moved = service.merge(entity, entry_id, into_id, user=username())
    except DomainError as error:
        return _merge_page(entity, source, into=repo.dictionary_row(entity, into_id), error=error.message, status=422)
    kept = repo.label(entity, into_id)
    flash(
        _("%(old)s merged into %(new)s; %(count)d guarantees follow.", old=source.entry.label, new=kept, count=moved),
        "success",
    )
    return redirect(url_for(f"admin.{kind}", q=kept), 303)
