"""SQLAlchemy models, one module per aggregate. Importing this registers them all."""
from webapp.models.accounts import Account, ApiKey, User
from webapp.models.contacts import Contact, ContactGroup
from webapp.models.ledger import LedgerEntry

__all__ = ["Account", "ApiKey", "Contact", "ContactGroup", "LedgerEntry", "User"]
