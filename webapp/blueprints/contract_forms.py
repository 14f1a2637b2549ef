"""The forms of the contract pages (the customer's, support's and the operator's setting)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from webapp.domain.contracts import FIELDS


class ContractForm(FlaskForm):
    """Account → Contract: the company's details that go into the contract."""

    legal_name = StringField(_l("Company's legal name"), validators=[Length(max=200)])
    country = SelectField(_l("Country of registration"))
    fiscal_code = StringField(_l("Fiscal code (CUI) or VAT number"), validators=[Length(max=40)])
    trade_register = StringField(_l("Trade register number"), validators=[Length(max=40)])
    registered_address = TextAreaField(_l("Registered address"), validators=[Length(max=300)], render_kw={"rows": 2})
    signatory_name = StringField(_l("Signatory's full name"), validators=[Length(max=200)])
    signatory_position = StringField(
        _l("Signatory's exact position (as in the company's papers)"), validators=[Length(max=200)]
    )
    vat_payer = BooleanField(_l("The company is registered for VAT"))
    contract_address = TextAreaField(
        _l("Postal address for the signed contract"), validators=[Length(max=300)], render_kw={"rows": 2}
    )
    contact_name = StringField(_l("Contact person"), validators=[Length(max=200)])
    contact_phone = StringField(_l("Contact person's phone"), validators=[Length(max=40)])
    contact_email = StringField(_l("Contact person's e-mail"), validators=[Length(max=254)])
    documents_address = TextAreaField(
        _l("Postal address for closing documents"), validators=[Length(max=300)], render_kw={"rows": 2}
    )
    documents_email = StringField(
        _l("E-mail for closing documents (the month's statement and invoices)"), validators=[Length(max=254)]
    )
    edi = BooleanField(_l("We can exchange documents electronically"))
    edi_system = StringField(_l("Which electronic document exchange system"), validators=[Length(max=100)])
    language = SelectField(_l("Language of the contract"), choices=[("en", "English"), ("ro", "Română")])

    def details(self) -> dict[str, object]:
        return {name: getattr(self, name).data for name in FIELDS}


class ScanForm(FlaskForm):
    scan = FileField(_l("Signed contract (PDF, JPEG or PNG, at most 10 MB)"))


class CorrectionForm(FlaskForm):
    note = TextAreaField(_l("What should the customer correct?"), validators=[Length(max=2000)], render_kw={"rows": 3})


class PolicyForm(FlaskForm):
    own_senders_before_signed = BooleanField(
        _l("Accounts may send under their own sender IDs before their contract is signed")
    )
