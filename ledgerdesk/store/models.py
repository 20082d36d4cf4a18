"""Peewee models mapping the schema in db/migrations (tables are created by SQL, not here).

Synced models (subclasses of :class:`SyncedModel`) are materialised from the
version log and may only change through :mod:`ledgerdesk.store.writes`; guard
triggers in the database refuse anything else. ``ForeignKeyField`` is used for
joins only: the schema deliberately has no SQL foreign-key constraints between
synced rows (see 0001_initial.sql). tests/store/test_models.py checks that
every model matches the migrated schema column for column.
"""

from __future__ import annotations

from peewee import (
    BooleanField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


class BaseModel(Model):
    class Meta:
        database = None  # bound to a ledger's database by Ledger.bind()
        legacy_table_names = False


class Meta(BaseModel):
    """Local key/value facts about this database file (site id, clock, township)."""

    key = TextField(primary_key=True)
    value = TextField()

    class Meta:
        table_name = "meta"


class Version(BaseModel):
    """One immutable edit: who set which fields of which row, replacing what."""

    id = IntegerField(primary_key=True)
    site = TextField()
    seq = IntegerField()
    hlc = IntegerField()
    author = TextField()
    tbl = TextField()
    entity_id = TextField()
    op = TextField()
    fields = TextField()
    parents = TextField(default="[]")


class SyncedModel(BaseModel):
    id = TextField(primary_key=True)
    vid = IntegerField()
    deleted = BooleanField(default=False)


def _ref(model, **kw):
    return ForeignKeyField(model, null=kw.pop("null", False), constraints=None, lazy_load=False, **kw)


class Township(SyncedModel):
    name = TextField()
    county = TextField(default="")
    code = TextField(default="")


class Village(SyncedModel):
    township = _ref(Township, backref="villages")
    name = TextField()
    kind = TextField(default="村")
    code = TextField(default="")
    sort_order = IntegerField(default=0)


class VillageGroup(SyncedModel):
    village = _ref(Village, backref="groups")
    name = TextField()
    kind = TextField(default="村民小组")


class Grid(SyncedModel):
    village = _ref(Village, backref="grids")
    name = TextField()
    code = TextField(default="")


class Household(SyncedModel):
    village = _ref(Village, backref="households")
    group = _ref(VillageGroup, null=True)
    grid = _ref(Grid, null=True)
    hh_no = TextField(default="")
    head_person_id = TextField(null=True)
    address = TextField(default="")
    phone = TextField(default="")
    level = TextField(default="绿")
    lat = FloatField(null=True)
    lon = FloatField(null=True)
    winter_pasture = TextField(default="")
    summer_pasture = TextField(default="")
    center_id = TextField(null=True)
    link_head_id = TextField(null=True)
    status = TextField(default="在册")
    note = TextField(default="")


class Person(SyncedModel):
    household = _ref(Household, backref="members")
    name = TextField()
    gender = TextField(default="")
    birth_date = DateField(null=True)
    id_number = TextField(default="")
    id_status = TextField(default="missing")
    phone = TextField(default="")
    relation = TextField(default="")
    ethnicity = TextField(default="")
    status = TextField(default="在册")
    is_party_member = BooleanField(default=False)
    party_branch = TextField(default="")
    party_joined_on = DateField(null=True)
    note = TextField(default="")


class Tag(SyncedModel):
    name = TextField()
    builtin = BooleanField(default=False)


class HouseholdTag(SyncedModel):
    household = _ref(Household, backref="tag_links")
    tag = _ref(Tag)


class PartyCenter(SyncedModel):
    village = _ref(Village)
    household = _ref(Household)
    person = _ref(Person)
    types = TextField(default="")
    designated_on = DateField(null=True)
    ended_on = DateField(null=True)
    standard_notes = TextField(default="")


class LinkHead(SyncedModel):
    village = _ref(Village)
    person = _ref(Person)
    household = _ref(Household)
    designated_on = DateField(null=True)
    ended_on = DateField(null=True)


class GridWorker(SyncedModel):
    grid = _ref(Grid)
    person = _ref(Person)
    role = TextField(default="网格员")
    since = DateField(null=True)
    until = DateField(null=True)


class PersonPost(SyncedModel):
    person = _ref(Person)
    post = TextField()
    unit_id = TextField(null=True)
    since = DateField(null=True)
    until = DateField(null=True)


class Committee(SyncedModel):
    village = _ref(Village)
    kind = TextField()
    name = TextField()
    founded_on = DateField(null=True)
    dissolved_on = DateField(null=True)
    charter = TextField(default="")


class CommitteeMember(SyncedModel):
    committee = _ref(Committee, backref="members")
    person = _ref(Person)
    role = TextField(default="成员")
    joined_on = DateField(null=True)
    left_on = DateField(null=True)


class CommitteeActivity(SyncedModel):
    committee = _ref(Committee, backref="activities")
    held_on = DateField()
    kind = TextField(default="会议")
    topic = TextField(default="")
    decisions = TextField(default="")
    outcome = TextField(default="")
    events_handled = IntegerField(default=0)
    guests = IntegerField(default=0)
    money_saved_yuan = IntegerField(default=0)
    evaluations = IntegerField(default=0)
    red_list = IntegerField(default=0)
    black_list = IntegerField(default=0)
    patrols = IntegerField(default=0)


class ActivityAttendee(SyncedModel):
    activity = _ref(CommitteeActivity)
    person = _ref(Person)


class Visit(SyncedModel):
    village = _ref(Village)
    visited_on = DateField()
    kind = TextField(default="走访")
    visitors = TextField(default="")
    findings = TextField(default="")
    needs = TextField(default="")
    next_due = DateField(null=True)


class VisitHousehold(SyncedModel):
    visit = _ref(Visit)
    household = _ref(Household)


class Category(SyncedModel):
    domain = TextField()
    name = TextField()
    sort_order = IntegerField(default=0)


class Problem(SyncedModel):
    township = _ref(Township)
    year = IntegerField()
    ledger_no = TextField(default="")
    provisional_no = TextField(default="")
    title = TextField()
    description = TextField(default="")
    source = TextField()
    hotline_no = TextField(default="")
    category = _ref(Category, null=True)
    urgency = TextField(default="一般")
    village = _ref(Village, null=True)
    grid = _ref(Grid, null=True)
    reporter = TextField(default="")
    reporter_phone = TextField(default="")
    registered_at = DateTimeField()


class ProblemHousehold(SyncedModel):
    problem = _ref(Problem)
    household = _ref(Household)


class ProblemEvent(SyncedModel):
    problem = _ref(Problem, backref="events")
    kind = TextField()
    at = DateTimeField()
    actor = TextField(default="")
    note = TextField(default="")
    responsible_person = TextField(default="")
    responsible_unit = TextField(default="")
    deadline = DateField(null=True)
    deadline_kind = TextField(null=True)
    reason = TextField(default="")
    approved_by = TextField(default="")
    rating = TextField(null=True)
    rated_by = TextField(default="")
    rating_method = TextField(default="")
    revisit_result = TextField(default="")
    merged_into_id = TextField(null=True)


class UserAccount(SyncedModel):
    username = TextField()
    display_name = TextField(default="")
    role = TextField()
    village_ids = TextField(default="")
    password_hash = TextField(default="")
    active = BooleanField(default=True)


class Setting(SyncedModel):
    key = TextField()
    value = TextField()


class Device(SyncedModel):
    """An enrolled device of the township's sync group and its public signing key (sync/devices.py)."""

    name = TextField()
    role = TextField(default="laptop")
    verify_key = TextField()
    enrolled_at = DateTimeField(null=True)
    enrolled_by = TextField(default="")
    revoked_at = DateTimeField(null=True)
    revoked_by = TextField(default="")
    revocation = TextField(default="")


LOCAL_MODELS: tuple[type[BaseModel], ...] = (Meta, Version)

SYNCED_MODELS: tuple[type[SyncedModel], ...] = (
    Township, Village, VillageGroup, Grid, Household, Person, Tag, HouseholdTag,
    PartyCenter, LinkHead, GridWorker, PersonPost, Committee, CommitteeMember,
    CommitteeActivity, ActivityAttendee, Visit, VisitHousehold, Category, Problem,
    ProblemHousehold, ProblemEvent, UserAccount, Setting, Device,
)

ALL_MODELS = LOCAL_MODELS + SYNCED_MODELS

# Local tables derived from synced rows: rebuilt from them on demand, never
# synced, no model (their SQL lives with the code that maintains them).
DERIVED_TABLES: dict[str, str] = {
    "search_ref": "ledgerdesk/store/search_index.py",
    "search_fts": "ledgerdesk/store/search_index.py",  # FTS5; its shadow tables are search_fts_*
    "problem_state": "ledgerdesk/services/ledger_queries.py",
    "sync_conflict": "ledgerdesk/store/conflicts.py",
}

# Local bookkeeping of sync (db/migrations/0005_sync.sql): facts about this file's
# exchanges with other devices. Never synced, not derivable, no model.
SYNC_LOCAL_TABLES: dict[str, str] = {
    "sync_file": "ledgerdesk/sync/exchange.py",
    "sync_peer": "ledgerdesk/sync/knowledge.py",
    "sync_site": "ledgerdesk/sync/knowledge.py",
    "sync_alarm": "ledgerdesk/sync/merge.py",
    "sync_quarantine": "ledgerdesk/sync/merge.py",
}

# Local tables of the audit trail (db/migrations/0006_audit.sql): an append-only hash chain
# over closures, ratings and sign-offs. Never synced, not derivable (it records what arrived
# here, in which order), no model.
AUDIT_TABLES: dict[str, str] = {
    "audit_chain": "ledgerdesk/services/audit.py",
}

# Local state of the login (db/migrations/0007_login.sql): failed attempts and lockouts on
# this machine. Never synced, not derivable, no model.
LOGIN_TABLES: dict[str, str] = {
    "login_attempt": "ledgerdesk/services/accounts.py",
}

MODEL_BY_TABLE: dict[str, type[SyncedModel]] = {m._meta.table_name: m for m in SYNCED_MODELS}
