"""Initial schema: the whole domain of DESIGN.md.

Reviewed by hand. Notes for readers:
- Money columns are BIGINT counts of cents and rates BIGINT counts of 1e-8 (app.models.types
  turns them into Decimal); times are timezone-aware UTC.
- Enumerations are VARCHAR with named CHECK constraints, the same on SQLite and PostgreSQL.
- ``uq_signups_one_active`` is a partial unique index: one active sign-up per volunteer and
  deployment. ``fk_signups_placement_in_deployment`` keeps a sign-up's placement inside its
  deployment.
- The audit chain starts at a single ``audit_head`` row; on PostgreSQL a trigger makes
  ``audit_events`` append-only (UPDATE and DELETE raise).

Revision ID: c6a1bd09038a
Revises:
Create Date: 2026-11-28 06:54:01
"""
from alembic import op
import sqlalchemy as sa

revision = "c6a1bd09038a"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64

_APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_events_append_only
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""


def upgrade():
    op.create_table('audit_events',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity_type', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=60), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sending_organisation', sa.String(length=200), nullable=False),
    sa.Column('receiving_committee', sa.String(length=200), nullable=False),
    sa.Column('election', sa.String(length=100), nullable=False),
    sa.Column('election_code', sa.String(length=10), nullable=False),
    sa.Column('election_date', sa.Date(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='deployment_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('keeps_waitlist', sa.Boolean(), nullable=False),
    sa.Column('offer_hours', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_deployments_dates_ordered')),
    sa.CheckConstraint('offer_hours > 0', name=op.f('ck_deployments_offer_hours_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployments')),
    sa.UniqueConstraint('slug', name=op.f('uq_deployments_slug'))
    )
    op.create_table('exchange_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rate_on', sa.Date(), nullable=False),
    sa.Column('usd_per_unit', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_exchange_rates_currency_iso4217')),
    sa.CheckConstraint('usd_per_unit > 0', name=op.f('ck_exchange_rates_rate_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('currency', 'rate_on', name=op.f('uq_exchange_rates_currency_rate_on'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.Enum('admin', 'organiser', 'volunteer', 'auditor', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_nonce', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('payers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('SELF', 'CAMPAIGN', 'FOREIGN_PARTY', 'FOREIGN_ENTITY', 'FOREIGN_INDIVIDUAL', 'US_INDIVIDUAL', 'US_ORGANISATION', 'UNKNOWN', name='payer_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('organisation_type', sa.Enum('corporation', 'labor_union', 'federal_contractor', 'political_committee', 'unincorporated', name='organisation_type', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('country IS NULL OR length(country) = 2', name=op.f('ck_payers_country_alpha2')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_payers_deployment_id_deployments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payers')),
    sa.UniqueConstraint('deployment_id', 'name', name=op.f('uq_payers_deployment_id_name'))
    )
    with op.batch_alter_table('payers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payers_deployment_id'), ['deployment_id'], unique=False)

    op.create_table('placements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('base_city', sa.String(length=100), nullable=False),
    sa.Column('arrive_from', sa.Date(), nullable=False),
    sa.Column('depart_by', sa.Date(), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_placements_capacity_nonnegative')),
    sa.CheckConstraint('depart_by >= arrive_from', name=op.f('ck_placements_window_ordered')),
    sa.CheckConstraint('length(state_code) = 2 AND state_code = upper(state_code)', name=op.f('ck_placements_state_code_format')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_placements_deployment_id_deployments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placements')),
    sa.UniqueConstraint('deployment_id', 'state_code', name=op.f('uq_placements_deployment_id_state_code')),
    sa.UniqueConstraint('id', 'deployment_id', name=op.f('uq_placements_id_deployment_id'))
    )
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placements_deployment_id'), ['deployment_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('deployment', 'state', 'payer', 'volunteer', name='report_scope', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('scope_value', sa.String(length=60), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='report_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('rule_set_version', sa.String(length=40), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('audit_head_hash', sa.String(length=64), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('file_path', sa.String(length=300), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_reports_progress_percent')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_reports_deployment_id_deployments')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_reports_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_deployment_id'), ['deployment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_sha256'), ['sha256'], unique=False)

    op.create_table('volunteers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('citizenship', sa.Enum('US_CITIZEN', 'LPR', 'FOREIGN_NATIONAL', name='citizenship', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('home_organisation', sa.String(length=200), nullable=False),
    sa.Column('affiliation', sa.Enum('current_staff', 'former_staff', 'member', 'none', name='affiliation', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('leave_type', sa.Enum('NOT_EMPLOYED', 'UNPAID', 'BONA_FIDE_EARNED_LEAVE', 'WORKING_TIME', 'SPECIAL_POLITICAL_LEAVE', name='leave_type', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attestation_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('country IS NULL OR length(country) = 2', name=op.f('ck_volunteers_country_alpha2')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_volunteers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteers')),
    sa.UniqueConstraint('user_id', name=op.f('uq_volunteers_user_id'))
    )
    op.create_table('accommodations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('hotel', 'short_let', 'host_home', 'campaign_housing', name='accommodation_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=False),
    sa.Column('beds', sa.Integer(), nullable=False),
    sa.Column('nightly_cost', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('cost_split', sa.Enum('per_bed', 'shared', name='cost_split', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('arranged_by_id', sa.Integer(), nullable=True),
    sa.Column('is_host_residence', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('beds > 0', name=op.f('ck_accommodations_beds_positive')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_accommodations_currency_iso4217')),
    sa.CheckConstraint('nightly_cost >= 0', name=op.f('ck_accommodations_nightly_cost_nonnegative')),
    sa.ForeignKeyConstraint(['arranged_by_id'], ['payers.id'], name=op.f('fk_accommodations_arranged_by_id_payers')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_accommodations_deployment_id_deployments')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_accommodations_payer_id_payers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accommodations'))
    )
    with op.batch_alter_table('accommodations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accommodations_deployment_id'), ['deployment_id'], unique=False)

    op.create_table('signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('canvasser', 'phone_banker', 'driver', 'data_entry', 'event_support', 'trainer', 'team_lead', 'strategy_adviser', 'manager', name='signup_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('arrive_on', sa.Date(), nullable=False),
    sa.Column('depart_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'pending_approval', 'waitlisted', 'offered', 'withdrawn', 'cancelled', name='signup_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('role_override_reason', sa.Text(), nullable=True),
    sa.Column('role_override_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status != 'offered' OR offer_expires_at IS NOT NULL", name=op.f('ck_signups_offer_has_expiry')),
    sa.CheckConstraint('depart_on >= arrive_on', name=op.f('ck_signups_dates_ordered')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_signups_deployment_id_deployments')),
    sa.ForeignKeyConstraint(['placement_id', 'deployment_id'], ['placements.id', 'placements.deployment_id'], name='fk_signups_placement_in_deployment'),
    sa.ForeignKeyConstraint(['role_override_by_id'], ['users.id'], name=op.f('fk_signups_role_override_by_id_users')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_signups_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signups'))
    )
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.create_index('ix_signups_placement_status', ['placement_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_signups_volunteer_id'), ['volunteer_id'], unique=False)
        batch_op.create_index('uq_signups_one_active', ['deployment_id', 'volunteer_id'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'pending_approval', 'waitlisted', 'offered')"), postgresql_where=sa.text("status IN ('confirmed', 'pending_approval', 'waitlisted', 'offered')"))

    op.create_table('stays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signup_id', sa.Integer(), nullable=False),
    sa.Column('accommodation_id', sa.Integer(), nullable=False),
    sa.Column('check_in', sa.Date(), nullable=False),
    sa.Column('check_out', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('check_out > check_in', name=op.f('ck_stays_at_least_one_night')),
    sa.ForeignKeyConstraint(['accommodation_id'], ['accommodations.id'], name=op.f('fk_stays_accommodation_id_accommodations')),
    sa.ForeignKeyConstraint(['signup_id'], ['signups.id'], name=op.f('fk_stays_signup_id_signups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stays'))
    )
    with op.batch_alter_table('stays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stays_accommodation_id'), ['accommodation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stays_signup_id'), ['signup_id'], unique=False)

    op.create_table('costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('HOUSING', 'TRAVEL', 'LOCAL_TRANSPORT', 'MEALS', 'PER_DIEM', 'STIPEND', 'SALARY_CONTINUED', 'GIFT', 'OTHER', name='cost_category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_usd', sa.BigInteger(), nullable=False),
    sa.Column('usd_per_unit', sa.BigInteger(), nullable=True),
    sa.Column('exchange_rate_id', sa.Integer(), nullable=True),
    sa.Column('incurred_on', sa.Date(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('arranged_by_id', sa.Integer(), nullable=True),
    sa.Column('paid_to', sa.String(length=200), nullable=False),
    sa.Column('in_residence', sa.Boolean(), nullable=False),
    sa.Column('reimbursed', sa.Boolean(), nullable=False),
    sa.Column('reimbursed_on', sa.Date(), nullable=True),
    sa.Column('evidence_ref', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.Enum('manual', 'import', 'stay', name='cost_origin', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('stay_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(origin = 'stay') = (stay_id IS NOT NULL)", name=op.f('ck_costs_stay_origin')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_costs_amount_nonnegative')),
    sa.CheckConstraint('amount_usd >= 0', name=op.f('ck_costs_amount_usd_nonnegative')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_costs_currency_iso4217')),
    sa.CheckConstraint('reimbursed_on IS NULL OR reimbursed', name=op.f('ck_costs_reimbursed_date')),
    sa.ForeignKeyConstraint(['arranged_by_id'], ['payers.id'], name=op.f('fk_costs_arranged_by_id_payers')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_costs_deployment_id_deployments')),
    sa.ForeignKeyConstraint(['exchange_rate_id'], ['exchange_rates.id'], name=op.f('fk_costs_exchange_rate_id_exchange_rates')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_costs_payer_id_payers')),
    sa.ForeignKeyConstraint(['stay_id'], ['stays.id'], name=op.f('fk_costs_stay_id_stays')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_costs_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_costs'))
    )
    with op.batch_alter_table('costs', schema=None) as batch_op:
        batch_op.create_index('ix_costs_deployment_volunteer', ['deployment_id', 'volunteer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_costs_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_costs_stay_id'), ['stay_id'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('cost_id', sa.Integer(), nullable=True),
    sa.Column('signup_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.Enum('PROHIBITED_FOREIGN_INKIND', 'PROHIBITED_PARTICIPATION', 'PROHIBITED_SOURCE', 'COMPENSATION', 'REVIEW_PAYER_UNKNOWN', 'REVIEW_CONTESTED', 'INKIND_REPORTABLE', 'CAMPAIGN_EXP', 'OUT_OF_SCOPE', 'VOL_OK', name='finding_code', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=20), nullable=False),
    sa.Column('rule_set_version', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('amount_usd', sa.BigInteger(), nullable=True),
    sa.Column('facts_hash', sa.String(length=64), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cost_id IS NULL OR signup_id IS NULL', name=op.f('ck_findings_one_subject')),
    sa.ForeignKeyConstraint(['cost_id'], ['costs.id'], name=op.f('fk_findings_cost_id_costs')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_findings_deployment_id_deployments')),
    sa.ForeignKeyConstraint(['signup_id'], ['signups.id'], name=op.f('fk_findings_signup_id_signups')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_findings_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('deployment_id', 'key', name=op.f('uq_findings_deployment_id_key'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_cost_id'), ['cost_id'], unique=False)
        batch_op.create_index('ix_findings_deployment_code', ['deployment_id', 'code'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_signup_id'), ['signup_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('finding_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('acknowledge', 'clear', 'escalate', name='review_action', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('facts_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("length(trim(reason)) > 0 OR action = 'acknowledge'", name=op.f('ck_finding_reviews_reason_required')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_reviews_finding_id_findings')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_finding_reviews_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_reviews'))
    )
    with op.batch_alter_table('finding_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_reviews_finding_id'), ['finding_id'], unique=False)

    head = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
                    sa.column("hash", sa.String))
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY_FUNCTION)
        op.execute(_APPEND_ONLY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    # Dependants first; dropping a table drops its indexes.
    for table in ("finding_reviews", "findings", "costs", "stays", "signups", "accommodations",
                  "volunteers", "reports", "placements", "payers", "api_tokens", "users",
                  "exchange_rates", "deployments", "audit_head", "audit_events"):
        op.drop_table(table)
