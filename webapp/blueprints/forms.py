"""WTForms forms (CSRF via Flask-WTF). Labels and messages are translatable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from webapp.domain import webhook_events


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in"))


class NewPasswordMixin:
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Username or e-mail"), validators=[DataRequired(), Length(max=254)])


class PreferencesForm(FlaskForm):
    language = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))
    default_region = SelectField(_l("Numbers without a country code are from"))


class QuietHoursForm(FlaskForm):
    quiet_hours = StringField(
        _l("Deliver campaigns only between (the recipient's local time)"),
        validators=[Length(max=40)],
        description=_l(
            "Like 09:00–20:00 (22:00–06:00 crosses midnight); each new campaign starts with it. Empty: any time."
        ),
    )


class ComposeForm(FlaskForm):
    # One number, or several separated by commas, semicolons, new lines or spaces (domain/recipients.py).
    to = TextAreaField(_l("To number"), validators=[Length(max=20000)])
    # One per rendered form: a double click or a resubmitted page sends once.
    idempotency_key = HiddenField()
    sender = SelectField(_l("Sender ID"))
    text = TextAreaField(_l("Text"), validators=[Length(max=5000)])
    flash = BooleanField(_l("Flash SMS: shown on the screen, not stored in the phone"), default=False, id="flash-sms")


class TemplateForm(FlaskForm):
    """A new template: on the Templates page, or its name alone under a composer (the text is the
    composer's). A missing name or text is refused by services/templates.py, with its own words."""

    name = StringField(_l("Template name"), validators=[Length(max=120)])
    text = TextAreaField(_l("Text"), validators=[Length(max=5000)])


class UploadForm(FlaskForm):
    """A new group (name and file), or a file for an existing group or the blocklist."""

    name = StringField(_l("Group name"), validators=[Length(max=120)])
    file = FileField(_l("Excel (.xlsx) or CSV file"))


class ContactForm(FlaskForm):
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    first_name = StringField(_l("First name"), validators=[Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Length(max=100)])


class BlockNumbersForm(FlaskForm):
    numbers = TextAreaField(
        _l("Numbers (one per line, or separated by commas)"), validators=[DataRequired(), Length(max=200_000)]
    )
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=200)])


class CampaignForm(FlaskForm):
    """The campaign's options, in one form (with the text for lists and personalised files)."""

    name = StringField(_l("Campaign name"), validators=[Length(max=120)])
    sender = SelectField(_l("Sender ID"))
    text = TextAreaField(_l("Text"), validators=[Length(max=5000)])
    start = RadioField(_l("Start"), choices=[("now", _l("Now")), ("later", _l("At a date and time"))], default="now")
    send_date = DateField(_l("Date"), validators=[Optional()])
    send_time = TimeField(_l("Time"), validators=[Optional()])
    delivery_window = StringField(
        _l("Deliver only between (the recipient's local time)"),
        validators=[Length(max=40)],
        description=_l("Like 09:00–20:00 (22:00–06:00 crosses midnight); empty: any time."),
    )
    speed = IntegerField(
        _l("Speed (messages per second, 0 = as fast as possible)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=5000)],
    )
    filter_duplicates = BooleanField(
        _l("Filter duplicates (send once to a number that appears several times)"), default=True
    )
    check_blocklists = BooleanField(_l("Check my black list (the global one always applies)"), default=True)
    flash = BooleanField(_l("Flash SMS: shown on the screen, not stored in the phone"), default=False, id="flash-sms")
    # Set by the counter's "Use GSM-7 characters" (a hidden field there): campaigns.gsm_safe.
    gsm_safe = BooleanField(default=False)
    validity_minutes = SelectField(
        _l("Validity period"),
        coerce=int,
        default=2880,
        choices=[
            (60, _l("1 hour")),
            (360, _l("6 hours")),
            (720, _l("12 hours")),
            (1440, _l("24 hours")),
            (2880, _l("48 hours")),
            (4320, _l("3 days")),
            (10080, _l("7 days")),
        ],
    )
    monitor_every = SelectField(
        _l("Monitoring copy to my phone"),
        coerce=int,
        default=0,
        choices=[
            (0, _l("No copies")),
            (100, _l("every 100 messages")),
            (200, _l("every 200 messages")),
            (500, _l("every 500 messages")),
            (1000, _l("every 1,000 messages")),
            (5000, _l("every 5,000 messages")),
        ],
    )
    monitor_number = StringField(_l("My phone number for the copies"), validators=[Length(max=40)])


class BillingForm(FlaskForm):
    """Account → Billing: what goes on the invoices."""

    company_name = StringField(_l("Company or person on the invoice"), validators=[Length(max=200)])
    is_business = BooleanField(_l("A company (with a fiscal code)"), default=True)
    fiscal_code = StringField(_l("Fiscal code (CUI) or VAT number"), validators=[Length(max=40)])
    trade_register = StringField(_l("Trade register number"), validators=[Length(max=40)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    country = SelectField(_l("Country"))
    invoice_email = StringField(_l("E-mail for invoices"), validators=[Length(max=254)])


class BuyCreditForm(FlaskForm):
    """Account → Buy credit: how, and how much (EUR, before VAT)."""

    method = RadioField(
        _l("Pay by"),
        choices=[("card", _l("Card (at least 10 EUR)")), ("transfer", _l("Bank transfer (at least 25 EUR)"))],
        default="card",
    )
    amount = StringField(_l("Amount of credit (EUR, without VAT)"), validators=[Length(max=12)])
    save_card = BooleanField(_l("Keep this card for automatic top-ups"))


class ProofForm(FlaskForm):
    proof = FileField(_l("Proof of payment (PDF, JPG or PNG)"))


class AccountantForm(FlaskForm):
    """Account → Users: an accountant who sees only the billing pages."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    full_name = StringField(_l("Name"), validators=[Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    password = PasswordField(
        _l("First password (they choose their own when they sign in)"), validators=[DataRequired(), Length(max=128)]
    )


class WebhookForm(FlaskForm):
    """A new webhook endpoint: its address and the events it wants (checked by services/webhooks.py)."""

    url = StringField(_l("Address (URL)"), validators=[Length(max=1000)])
    events = SelectMultipleField(
        _l("Events"),
        choices=[(name, _l(label)) for name, label in webhook_events.EVENTS.items()],
        validate_choice=False,
    )


class ReplySettingsForm(FlaskForm):
    """Account → Replies: keywords one per line, the HELP answer and the STOP confirmation."""

    # The default STOP list (seven words, one a line) shown without scrolling it.
    stop = TextAreaField(_l("STOP keywords (opt out)"), validators=[Length(max=2000)], render_kw={"rows": 8})
    start = TextAreaField(_l("START keywords (opt back in)"), validators=[Length(max=2000)], render_kw={"rows": 4})
    help = TextAreaField(_l("HELP keywords"), validators=[Length(max=2000)], render_kw={"rows": 4})
    # Their limit (612 characters) is services/reply_settings.py's, which names the field when it
    # refuses; the form's own limit only guards against a huge request.
    help_text = TextAreaField(
        _l("Answer to HELP (empty: no answer)"), validators=[Length(max=20000)], render_kw={"rows": 4}
    )
    confirmation = TextAreaField(
        _l("Confirmation sent after STOP (empty: none)"), validators=[Length(max=20000)], render_kw={"rows": 4}
    )


class SmppLimitsForm(FlaskForm):
    """An SMPP credential's allowed networks and limits (checked by services/smpp_access.py, which
    names the line of a wrong network)."""

    allowed_networks = TextAreaField(
        _l("Allowed IP addresses and networks (one per line; empty: anywhere)"),
        validators=[Length(max=5000)],
        render_kw={"rows": 3, "placeholder": "203.0.113.0/24"},
    )
    max_binds = IntegerField(_l("Binds at once"), default=2)
    tps_limit = IntegerField(_l("Messages per second"), default=50)
    window = IntegerField(_l("Window"), default=100)


class SmppCredentialForm(SmppLimitsForm):
    """A new SMPP credential: its system_id (empty: the suggested one), networks and limits."""

    system_id = StringField(_l("system_id"), validators=[Length(max=40)])


class StopLinkForm(FlaskForm):
    """The #stop page's button: only the form token (the link's code names the number)."""
