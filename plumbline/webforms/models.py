"""Forms, their submissions, hosted landing pages and guided flows: how visitors tell us who they are."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plumbline.core.models import TimeStamped


class Form(TimeStamped):
    """A form with its fields, served at /f/<slug> and by one script tag. `profiling_max_fields` > 0 turns on
    progressive profiling: a known visitor is asked only fields whose value is not known yet, at most that many."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    campaign = models.ForeignKey("marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="forms")
    notify = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", help_text="Told of every submission.")
    submit_label = models.CharField(max_length=60, default="Submit")
    thank_you_message = models.TextField(max_length=2000, blank=True)
    redirect_url = models.URLField(max_length=500, blank=True)
    profiling_max_fields = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    TEXTAREA = "textarea", "Long text"
    SELECT = "select", "Drop-down"
    CHECKBOX = "checkbox", "Checkbox"
    CONSENT = "consent", "Consent checkbox"
    HIDDEN = "hidden", "Hidden"


class HiddenSource(models.TextChoices):
    UTM_SOURCE = "utm_source", "UTM source"
    UTM_MEDIUM = "utm_medium", "UTM medium"
    UTM_CAMPAIGN = "utm_campaign", "UTM campaign"
    UTM_CONTENT = "utm_content", "UTM content"
    UTM_TERM = "utm_term", "UTM term"
    VISITOR_ID = "visitor_id", "Visitor id"
    PAGE_URL = "page_url", "Page URL"


class FormField(models.Model):
    """One field of a form. `maps_to` says where its value goes: `contact.<field>`, `company.name` (creates or
    links the company), `custom.<key>` (a contact custom field), or empty (kept in the submission only).
    Consent fields name a subscription type code; hidden fields name where their value comes from."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    label = models.CharField(max_length=200)
    key = models.SlugField(max_length=50)
    type = models.CharField(max_length=10, choices=FieldType.choices, default=FieldType.TEXT)
    maps_to = models.CharField(max_length=60, blank=True)
    required = models.BooleanField(default=False)
    options = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    help_text = models.CharField(max_length=300, blank=True)
    subscription = models.CharField(max_length=50, blank=True, help_text="Consent fields: a subscription type code.")
    hidden_source = models.CharField(max_length=20, choices=HiddenSource.choices, blank=True)

    class Meta:
        ordering = ["form_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "key"], name="formfield_unique_key")]

    def __str__(self) -> str:
        return self.label


class Submission(models.Model):
    """One accepted submission of a form (or the contact step of a guided flow): what was answered, by whom,
    from where. The IP address is kept only as a salted hash."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="form_submissions")
    answers = models.JSONField(default=dict)
    visitor_id = models.CharField(max_length=64, blank=True)
    utm = models.JSONField(default=dict, blank=True)
    page_url = models.CharField(max_length=500, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["form", "submitted_at"], name="submission_form_time"),
                   models.Index(fields=["contact", "submitted_at"], name="submission_contact_time")]
        constraints = [models.UniqueConstraint(fields=["form", "idempotency_key"], name="submission_unique_key")]

    def __str__(self) -> str:
        return f"submission {self.pk} of form {self.form_id}"


class UsedChallenge(models.Model):
    """A proof-of-work challenge already spent: each one buys exactly one submission."""

    challenge = models.CharField(max_length=128, unique=True)
    used_at = models.DateTimeField(db_index=True)


class LandingPage(TimeStamped):
    """A hosted page at /lp/<slug>: a headline, sanitised rich text, a form and a call to action."""

    campaign = models.ForeignKey("marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="landing_pages")
    slug = models.SlugField(max_length=80, unique=True)
    headline = models.CharField(max_length=200)
    body_html = models.TextField(max_length=50000, blank=True)
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="landing_pages")
    cta_label = models.CharField(max_length=60, blank=True)
    cta_url = models.URLField(max_length=500, blank=True)
    is_published = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.headline


class Flow(TimeStamped):
    """A guided flow: questions whose next one depends on the answers so far, then the contact step (`form`),
    then a result chosen by rules over the answers and the contact's fit grade. `definition` holds the steps and
    rules (its shape: plumbline.webforms.flows.FlowDefinition)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="flows",
                             help_text="The contact step asked after the questions.")
    definition = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class FlowAnswer(models.Model):
    """A contact's answers to a guided flow and the result they got: shown on the contact's timeline."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="answers")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="flow_answers")
    submission = models.OneToOneField(Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answers = models.JSONField(default=dict)
    result = models.CharField(max_length=50)
    answered_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["contact", "answered_at"], name="flowanswer_contact_time")]

    def __str__(self) -> str:
        return f"{self.flow_id}: {self.result}"
