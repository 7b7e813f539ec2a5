"""The shared record: companies, contacts, lifecycle, pipelines, deals and activities."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from plumbline.core.models import TimeStamped


class Company(TimeStamped):
    """An organisation. `domain` is normalised (lowercase, no scheme, no www.) and unique when set."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, unique=True, null=True, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="companies"
    )
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(Lower("name"), name="company_name_lower")]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MQL = "mql", "Marketing qualified lead"
    SAL = "sal", "Sales accepted lead"
    SQL = "sql", "Sales qualified lead"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    EVANGELIST = "evangelist", "Evangelist"
    PAST_CUSTOMER = "past_customer", "Past customer"
    DISQUALIFIED = "disqualified", "Disqualified"


class ConsentStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    OPTED_IN = "opted_in", "Opted in"
    OPTED_OUT = "opted_out", "Opted out"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"


class Contact(TimeStamped):
    """A person, from first touch to customer. `email` is stored normalised (trimmed, lowercase) and unique."""

    email = models.CharField(max_length=254, unique=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    source = models.CharField(max_length=100, blank=True)
    consent_status = models.CharField(max_length=30, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN)
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.SUBSCRIBER, db_index=True
    )
    lifecycle_changed_at = models.DateTimeField(null=True, blank=True)
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(Lower("last_name"), name="contact_last_name_lower"),
            models.Index(Lower("first_name"), name="contact_first_name_lower"),
            models.Index(fields=["owner", "lifecycle_stage"], name="contact_owner_stage"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CustomField(models.Model):
    """An admin-defined, typed field on contacts or companies; values live in the record's `custom` JSON."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes/no"
        CHOICE = "choice", "Choice"

    class AppliesTo(models.TextChoices):
        CONTACT = "contact", "Contact"
        COMPANY = "company", "Company"

    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices)
    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=Type.choices)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["applies_to", "key"], name="customfield_unique_key")]

    def __str__(self) -> str:
        return f"{self.applies_to}.{self.key}"


class LifecycleTransition(models.Model):
    """One change of a contact's lifecycle stage. Append-only: history is never rewritten."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="lifecycle_transitions")
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    occurred_at = models.DateTimeField(db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=30, default="manual")
    definition_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["contact", "occurred_at"], name="lifecycle_contact_time")]
        ordering = ["-occurred_at", "-id"]


class Pipeline(TimeStamped):
    """A sales process: an ordered list of stages."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class PipelineStage(models.Model):
    """A stage of a pipeline; `probability` (0-100) weights the forecast; won/lost stages close the deal."""

    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    probability = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OPEN)

    class Meta:
        ordering = ["pipeline_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_unique_position"),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_max_100"),
        ]

    def __str__(self) -> str:
        return self.name


class Deal(TimeStamped):
    """A sales opportunity moving through a pipeline's stages to won or lost."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    name = models.CharField(max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="deals")
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    expected_close_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    contacts = models.ManyToManyField(Contact, through="DealContact", related_name="deals")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["pipeline", "stage"], name="deal_pipeline_stage")]

    def __str__(self) -> str:
        return self.name


class DealContact(models.Model):
    """A contact's role on a deal."""

    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", "Decision maker"
        ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
        CHAMPION = "champion", "Champion"
        INFLUENCER = "influencer", "Influencer"
        TECHNICAL_BUYER = "technical_buyer", "Technical buyer"
        USER = "user", "User"
        OTHER = "other", "Other"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deal_roles")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OTHER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "contact"], name="dealcontact_unique")]


class DealTransition(models.Model):
    """One stage change of a deal. Append-only."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.ForeignKey(PipelineStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["-occurred_at", "-id"]


class Activity(TimeStamped):
    """A note, call, meeting, email or task on the timeline of a contact, company and/or deal."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        EMAIL = "email", "Email"
        TASK = "task", "Task"

    class Outcome(models.TextChoices):
        CONNECTED = "connected", "Connected"
        LEFT_VOICEMAIL = "left_voicemail", "Left voicemail"
        NO_ANSWER = "no_answer", "No answer"
        BUSY = "busy", "Busy"
        WRONG_NUMBER = "wrong_number", "Wrong number"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, max_length=20000)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    occurred_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["contact", "occurred_at"], name="activity_contact_time"),
            models.Index(fields=["deal", "occurred_at"], name="activity_deal_time"),
            models.Index(fields=["company", "occurred_at"], name="activity_company_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class ContactMerge(models.Model):
    """One contact merged into another, kept so the merge can be undone.

    `merged` is the removed contact as Django's serializer wrote it (same id on undo); `moved` lists, per related
    table ("app.model"), the ids of the rows re-pointed from it to the survivor; `dropped` holds serialized rows
    that could not move because the survivor already had their twin (the same deal role); `changes` holds each
    survivor field the merge changed as [before, after]."""

    # Plain ids, not foreign keys: a survivor merged in turn into a third contact, and brought back by undoing
    # that merge, keeps its own merges undoable (undone last first).
    survivor_id = models.BigIntegerField()
    merged_id = models.BigIntegerField(db_index=True)
    merged_email = models.CharField(max_length=254)
    merged = models.JSONField()
    moved = models.JSONField(default=dict)
    dropped = models.JSONField(default=list)
    changes = models.JSONField(default=dict)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["survivor_id", "-merged_at"], name="contactmerge_survivor")]

    def __str__(self) -> str:
        return f"{self.merged_email} into contact {self.survivor_id}"

    @property
    def survivor(self) -> Contact | None:
        return Contact.objects.filter(pk=self.survivor_id).first()

    @property
    def moved_count(self) -> int:
        return sum(len(ids) for ids in self.moved.values())


class DuplicateScan(models.Model):
    """One run of the duplicate finder over every contact: what it compared and the weights it learnt."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    contacts = models.PositiveIntegerField()
    candidates = models.PositiveBigIntegerField()
    found = models.PositiveIntegerField()
    threshold = models.FloatField()
    model = models.JSONField(default=dict)  # the prior and m and u per compared field and level

    class Meta:
        ordering = ["-id"]


class DuplicatePair(models.Model):
    """Two contacts the finder believes are one person (`left_id` < `right_id`), with the reasons. A scan
    replaces the open pairs; a dismissed pair stays dismissed and is not suggested again."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Not a duplicate"

    left = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    weight = models.FloatField()
    why = models.JSONField(default=list)  # [label, level, weight] per compared field
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="duplicatepair_unique"),
            models.CheckConstraint(condition=models.Q(left__lt=models.F("right")), name="duplicatepair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-probability"], name="duplicatepair_open")]


class ErasureRecord(models.Model):
    """Who erased which contact and when (privacy rights): the contact's id, never its personal data. The
    contact's row stays, anonymised, so that campaign and attribution totals do not change."""

    contact_id = models.PositiveBigIntegerField(db_index=True)
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    erased_at = models.DateTimeField()
    erasers = models.JSONField(default=list, blank=True)  # the apps' registered erasers that ran

    class Meta:
        ordering = ["-erased_at", "-id"]
