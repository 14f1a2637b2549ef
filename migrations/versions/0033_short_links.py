"""Short links with click tracking (issue 22): short_links (one per placeholder per message),
link_clicks (each GET, its time), and the blocklist's proof of an opt-out made on a #stop page.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "short_links",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("message_id", _ID, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("code", name="uq_short_links_code"),
    )
    op.create_index("ix_short_links_message", "short_links", ["message_id"])
    op.create_index("ix_short_links_campaign", "short_links", ["campaign_id", "position"])
    op.create_table(
        "link_clicks",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("short_link_id", _ID, sa.ForeignKey("short_links.id", ondelete="CASCADE"), nullable=False),
        sa.Column("clicked_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_link_clicks_link", "link_clicks", ["short_link_id"])
    with op.batch_alter_table("blocked_numbers") as batch:
        batch.add_column(sa.Column("short_link_id", _ID, nullable=True))
        batch.create_foreign_key(
            "fk_blocked_numbers_short_link", "short_links", ["short_link_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("blocked_numbers") as batch:
        batch.drop_constraint("fk_blocked_numbers_short_link", type_="foreignkey")
        batch.drop_column("short_link_id")
    op.drop_index("ix_link_clicks_link", table_name="link_clicks")
    op.drop_table("link_clicks")
    op.drop_index("ix_short_links_campaign", table_name="short_links")
    op.drop_index("ix_short_links_message", table_name="short_links")
    op.drop_table("short_links")
