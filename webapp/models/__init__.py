"""SQLAlchemy models, one module per aggregate. Importing this registers them all."""

from webapp.models.accounts import Account, ApiKey, LoginSession, User
from webapp.models.api import ApiIdempotency
from webapp.models.billing import (
    AutoTopUp,
    BillingProfile,
    Invoice,
    InvoiceSeries,
    LowBalanceAlert,
    Payment,
    SavedCard,
    Statement,
)
from webapp.models.blocklist import BlockedNumber
from webapp.models.campaigns import Campaign
from webapp.models.contacts import Contact, ContactGroup
from webapp.models.contracts import ClosingDocumentsMail, Contract, ContractPolicy, ContractVersion
from webapp.models.imports import ContactImport
from webapp.models.inbound import InboundMessage, InboundSegment
from webapp.models.ledger import LedgerEntry
from webapp.models.messages import Message, MessageEvent, MessagePart, PendingReceipt
from webapp.models.pricing import PriceList, PriceListEntry
from webapp.models.report_tallies import MessageTally, MessageTallyChange
from webapp.models.routes import ReportPoll, Route, RouteCost
from webapp.models.short_links import LinkClick, ShortLink
from webapp.models.smpp import SmppCredential
from webapp.models.staff import AuditEvent, Impersonation, SenderId
from webapp.models.templates import MessageTemplate
from webapp.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "ApiIdempotency",
    "ApiKey",
    "AuditEvent",
    "AutoTopUp",
    "BillingProfile",
    "BlockedNumber",
    "Campaign",
    "Contact",
    "ContactGroup",
    "ContactImport",
    "ClosingDocumentsMail",
    "Contract",
    "ContractPolicy",
    "ContractVersion",
    "Invoice",
    "Impersonation",
    "InboundMessage",
    "InboundSegment",
    "InvoiceSeries",
    "LedgerEntry",
    "LinkClick",
    "LoginSession",
    "LowBalanceAlert",
    "Message",
    "MessageEvent",
    "MessagePart",
    "MessageTally",
    "MessageTallyChange",
    "MessageTemplate",
    "Payment",
    "PendingReceipt",
    "PriceList",
    "PriceListEntry",
    "ReportPoll",
    "Route",
    "RouteCost",
    "SavedCard",
    "SenderId",
    "ShortLink",
    "SmppCredential",
    "Statement",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
