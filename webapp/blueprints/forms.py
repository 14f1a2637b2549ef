"""WTForms forms (CSRF via Flask-WTF). Labels and messages are translatable."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length


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


class ComposeForm(FlaskForm):
    to = StringField(_l("To number"), validators=[Length(max=80)])
    # One per rendered form: a double click or a resubmitted page sends once.
    idempotency_key = HiddenField()
    sender = SelectField(_l("Sender ID"))
    text = TextAreaField(_l("Text"), validators=[Length(max=5000)])


class TemplateForm(FlaskForm):
    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=120)])
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=5000)])


class UploadForm(FlaskForm):
    """A new group (name and file), or a file for an existing group or the blocklist."""
    name = StringField(_l("Group name"), validators=[Length(max=120)])
    file = FileField(_l("Excel (.xlsx) or CSV file"))


class ContactForm(FlaskForm):
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    first_name = StringField(_l("First name"), validators=[Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Length(max=100)])


class BlockNumbersForm(FlaskForm):
    numbers = TextAreaField(_l("Numbers (one per line, or separated by commas)"),
                            validators=[DataRequired(), Length(max=200_000)])
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=200)])
