"""The consent ledger: what each contact agreed to, per channel and subscription type, with its proof.

ConsentEntry is append-only: a change of mind is a new row, never an edit. Only an erasure (privacy rights)
rewrites a contact's rows, and then only to strip the proof of personal data. A contact's current consent is
derived from its rows (queries.current_consent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plumbline.crm.models import Contact


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    TRACKING = "tracking", "Website tracking"


class Status(models.TextChoices):
    GRANTED = "granted", "Granted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REQUESTED = "requested", "Confirmation requested"


class Basis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
    CONTRACT = "contract", "Contract"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    VITAL_INTERESTS = "vital_interests", "Vital interests"
    PUBLIC_TASK = "public_task", "Public task"


class Source(models.TextChoices):
    FORM = "form", "Form"
    PREFERENCE_CENTRE = "preference_centre", "Preference centre"
    CONFIRMATION = "confirmation", "Double opt-in confirmation"
    API = "api", "API"
    IMPORT = "import", "Import"
    ADMIN = "admin", "Staff"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe link"
    MERGE = "merge", "Merge of duplicates"
    TRACKING = "tracking", "Tracking banner"


class SubscriptionType(models.Model):
    """Something a contact can subscribe to (newsletter, product news, events ...), defined by admins.
    `double_opt_in` means a grant from a form only asks for confirmation; the person's click grants it."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    double_opt_in = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label", "id"]

    def __str__(self) -> str:
        return self.label


class ConsentEntry(models.Model):
    """One consent event of a contact: granted, withdrawn or confirmation requested, for a channel and a
    subscription type (or, with none, the whole channel). `proof` holds what the person saw and did: the form, the
    exact checkbox text and its version, the time, a hash of the IP (never the IP) and the user agent."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_entries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subscription = models.ForeignKey(SubscriptionType, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="entries")
    status = models.CharField(max_length=10, choices=Status.choices)
    basis = models.CharField(max_length=30, choices=Basis.choices, default=Basis.CONSENT)
    source = models.CharField(max_length=30, choices=Source.choices)
    proof = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["contact", "occurred_at", "id"], name="consent_contact_time")]
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "consent entries"

