"""SQLAlchemy models, one module per aggregate. Importing this registers them all."""
from webapp.models.accounts import Account, ApiKey, User
from webapp.models.api import ApiIdempotency
from webapp.models.billing import BillingProfile, Invoice, InvoiceSeries, Payment
from webapp.models.blocklist import BlockedNumber
from webapp.models.campaigns import Campaign
from webapp.models.contacts import Contact, ContactGroup
from webapp.models.imports import ContactImport
from webapp.models.ledger import LedgerEntry
from webapp.models.messages import Message, MessageEvent, MessagePart, PendingReceipt
from webapp.models.pricing import PriceList, PriceListEntry
from webapp.models.routes import Route
from webapp.models.templates import MessageTemplate

__all__ = [
    "Account", "ApiIdempotency", "ApiKey", "BillingProfile", "BlockedNumber", "Campaign", "Contact", "ContactGroup", "ContactImport", "Invoice", "InvoiceSeries", "LedgerEntry", "Message", "MessageEvent", "MessagePart", "MessageTemplate",
    "Payment", "PendingReceipt", "PriceList", "PriceListEntry", "Route", "User",
]
