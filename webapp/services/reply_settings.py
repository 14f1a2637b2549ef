"""Account → Replies: the account's reply keywords (STOP, START, HELP lists; the defaults until
it changes them), the text a HELP reply gets, and the confirmation a STOP gets (none by default).
Operations flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from webapp.domain import N_, opt_out
from webapp.models import User
from webapp.services.errors import FieldMessage, ServiceError
from webapp.services.inbound import keywords_of

MAX_TEXT = 612  # four GSM-7 parts: an automatic answer is charged like any message


@dataclass(frozen=True)
class ReplySettings:
    keywords: dict[str, list[str]]
    help_text: str
    opt_out_confirmation: str


def settings_of(actor: User) -> ReplySettings:
    account = actor.account
    return ReplySettings(keywords_of(account), account.help_text or "", account.opt_out_confirmation or "")


def save(session: Session, actor: User, keywords: dict[str, str], help_text: str, confirmation: str) -> None:
    """Each list as typed (one keyword a line or comma separated, cleaned); a keyword in two
    lists or an empty STOP list is refused, as is an answer longer than MAX_TEXT characters."""
    lists = {action: opt_out.clean_keywords(keywords.get(action, "")) for action in opt_out.ACTIONS}
    errors: dict[str, list[FieldMessage]] = {}
    if not lists[opt_out.STOP]:
        errors["stop"] = [N_("Keep at least one STOP keyword: phones must be able to opt out.")]
    seen: dict[str, str] = {}
    for action in opt_out.ACTIONS:
        for word in lists[action]:
            if word in seen and seen[word] != action:
                errors.setdefault(action, []).append(
                    (N_("%(word)s is in the %(other)s list too."), {"word": word, "other": seen[word].upper()})
                )
            seen.setdefault(word, action)
    for name, text in (("help_text", help_text), ("confirmation", confirmation)):
        if len(text.strip()) > MAX_TEXT:
            errors[name] = [(N_("At most %(num)d characters."), {"num": MAX_TEXT})]
    if errors:
        raise ServiceError(N_("The reply settings were not saved."), errors)
    account = actor.account
    defaults = {action: list(opt_out.DEFAULT_KEYWORDS[action]) for action in opt_out.ACTIONS}
    account.reply_keywords = None if lists == defaults else lists
    account.help_text = help_text.strip() or None
    account.opt_out_confirmation = confirmation.strip() or None
    session.flush()
