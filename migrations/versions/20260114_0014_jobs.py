"""Background jobs (long imports) and their progress: the jobs table `flask jobs work` takes its work from.

A worker claims the oldest queued job with one UPDATE ... WHERE status = 'queued' (on PostgreSQL over a
SELECT ... FOR UPDATE SKIP LOCKED), so two workers never run one job; the progress itself is a file beside the
upload (services/jobs.py), written while the job's own transaction holds SQLite's write lock.

Revision ID: 0014_jobs
Revises: 0013_sessions_audit
Create Date: 2026-01-14
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_jobs"
down_revision = "0013_sessions_audit"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("upload_token", sa.String(32), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.CheckConstraint("kind IN ('import_preview', 'import_commit')", name="ck_jobs_kind"),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'stale')", name="ck_jobs_status"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_upload_token", "jobs", ["upload_token"])
    op.create_index("ix_jobs_status_id", "jobs", ["status", "id"])


def downgrade():
    op.drop_index("ix_jobs_status_id", table_name="jobs")
    op.drop_index("ix_jobs_upload_token", table_name="jobs")
    op.drop_table("jobs")
