"""Outgoing e-mail: SMTP when SMTP_HOST is set, otherwise written to the log (development)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from webapp.settings import Settings

log = logging.getLogger("smsportal.mail")


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not settings.smtp_host:
        log.warning("E-mail (SMTP_HOST not set, logged instead)\nTo: %s\nSubject: %s\n\n%s", to, subject, body)
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
