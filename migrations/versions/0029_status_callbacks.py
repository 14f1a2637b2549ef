"""Status webhooks and the API's per-message callback_url.

- webhook_endpoints.kind: "endpoint" (added on Account → Webhooks) or "callback" (a callback_url
  given with a message in the API, made on first use, signed with the account's callback secret);
- accounts.webhook_callback_secret: that secret (whsec_…), made when first needed;
- messages.callback_endpoint_id: the callback endpoint told of the message's status changes
  (no foreign key: removing an endpoint never scans the messages; a removed one tells nobody).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 12:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(sa.Column("kind", sa.String(12), nullable=False, server_default="endpoint"))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("webhook_callback_secret", sa.String(80), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("callback_endpoint_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("callback_endpoint_id")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("webhook_callback_secret")
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("kind")
