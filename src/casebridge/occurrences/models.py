"""The occurrence index: what Casebridge remembers of every case, work item and known fix.

Each indexed object is a ``Document`` row holding its analysed profile (``ranking.CaseProfile``);
the database's full-text engine indexes the same analysed terms (SQLite FTS5 tables, or the
PostgreSQL postings table of ``index.postings``, created by the migrations for the running vendor).
Document ids grow with time, so "earlier cases" is ``id < the query's id``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.core.text import plural


class DocumentKind(models.TextChoices):
    CASE = "case", "Case"
    WORK_ITEM = "work_item", "Work item"
    KNOWN_RESOLUTION = "known_resolution", "Known resolution"


class Document(models.Model):
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    object_id = models.BigIntegerField()
    key = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    profile = models.JSONField(help_text="The analysed profile the re-ranker compares.")
    # The analysed text given to the full-text index, kept to update or remove its entry.
    fts_title = models.TextField(blank=True, default="")
    fts_body = models.TextField(blank=True, default="")
    fts_extra = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="document_per_object")
        ]
        indexes = [models.Index(fields=["kind", "key"], name="document_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class TermStat(models.Model):
    """How many case documents contain a term, per field group ("all" or "title").

    Maintained by ``occurrences_refresh_stats`` (the worker) from documents not yet counted, so
    that case creation never touches these shared rows.
    """

    scope = models.CharField(max_length=5)
    term = models.CharField(max_length=64)
    docs = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "term"], name="termstat_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.term}={self.docs}"


class IndexState(models.Model):
    """Counters of the statistics: documents counted so far and the last counted document id."""

    name = models.CharField(max_length=20, primary_key=True)
    counted_through = models.BigIntegerField(default=0)
    documents = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.documents} through {self.counted_through}"


class Signature(models.Model):
    """A log template: the same event with other values (ids, numbers, hosts, times) masked."""

    id = models.CharField(max_length=32, primary_key=True, help_text="Stable hash of the template.")
    template = models.TextField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    lines = models.PositiveBigIntegerField(default=0, help_text="Log lines seen with it.")
    level = models.CharField(
        max_length=8,
        blank=True,
        default="",
        help_text="The most severe level seen: error, warning, info, debug (empty: none).",
    )
    known_resolutions = models.ManyToManyField(
        "knowledge.KnownResolution", blank=True, related_name="signatures"
    )

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.template[:80]


class SignatureSighting(models.Model):
    """Where a signature was seen: one row per case (and its service), with counts and times."""

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="sightings")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sightings")
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="sightings"
    )
    lines = models.PositiveBigIntegerField(default=0)
    notable = models.BooleanField(default=False, help_text="An error, warning or pasted line.")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signature", "case"], name="sighting_per_case")
        ]
        indexes = [
            models.Index(fields=["service", "last_seen"], name="sighting_service"),
            models.Index(fields=["signature", "last_seen"], name="sighting_signature"),
            models.Index(fields=["notable", "last_seen"], name="sighting_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.signature_id} in case {self.case_id}"


# --- where signatures come from -----------------------------------------------------------------


class SignatureLevel(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"
    DEBUG = "debug", "Debug"
    OTHER = "", "Other"


class SourceKind(models.TextChoices):
    ATTACHMENT = "attachment", "Log attachment"
    DESCRIPTION = "description", "Description"
    ESCALATION = "escalation", "Escalation log excerpt"


class ParseState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Parsing"
    DONE = "done", "Parsed"
    FAILED = "failed", "Failed"


class LogSource(models.Model):
    """One log that was (or is being) parsed into signatures: an attachment, or the log lines
    pasted into a case's description or an escalation. Holds the progress of a background parse.

    Its signatures and line counts are ``SourceSignature`` rows; re-parsing replaces them, so
    counts never double.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="log_sources")
    ref = models.CharField(max_length=40, help_text="attachment:<id>, description, escalation.")
    kind = models.CharField(max_length=12, choices=SourceKind.choices)
    attachment = models.OneToOneField(
        "cases.Attachment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="log_source",
    )
    label = models.CharField(max_length=255)
    state = models.CharField(max_length=8, choices=ParseState.choices, default=ParseState.QUEUED)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    lines = models.PositiveBigIntegerField(default=0)
    templates = models.PositiveIntegerField(default=0, help_text="Templates found in the log.")
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    seen_at = models.DateTimeField(help_text="When the log reached Casebridge.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seen_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "ref"], name="log_source_per_case_ref")
        ]

    def __str__(self) -> str:
        return f"{self.ref} of case {self.case_id} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == ParseState.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, self.bytes_done * 100 // self.bytes_total)

    @property
    def active(self) -> bool:
        return self.state in (ParseState.QUEUED, ParseState.RUNNING)


class SourceSignature(models.Model):
    """The lines of one log that belong to one signature."""

    source = models.ForeignKey(LogSource, on_delete=models.CASCADE, related_name="signatures")
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="sources")
    lines = models.PositiveBigIntegerField(default=0)
    notable = models.BooleanField(
        default=False, help_text="An error or warning, or a line a person pasted on purpose."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "signature"], name="source_signature_unique")
        ]

    def __str__(self) -> str:
        return f"{self.signature_id} x{self.lines} in {self.source_id}"


# --- related cases ------------------------------------------------------------------------------


class CaseLink(models.Model):
    """Two cases an engineer marked as related (stored once, ``case_a`` the smaller id)."""

    case_a = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    case_b = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case_a", "case_b"], name="case_link_unique"),
            models.CheckConstraint(
                condition=models.Q(case_a__lt=models.F("case_b")), name="case_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_a_id} ~ {self.case_b_id}"


# --- recurring issues ---------------------------------------------------------------------------


#: The default near-duplicate threshold, chosen on data (docs/performance.md, Issue 5).
NEAR_DUPLICATE_SCORE = 5.0


class NearDuplicate(models.Model):
    """An earlier case that may be a near-duplicate of a case: their likeness (the similarity
    score without its query-relative parts), computed once per case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "other"], name="near_duplicate_unique")
        ]
        indexes = [models.Index(fields=["score"], name="near_duplicate_score")]

    def __str__(self) -> str:
        return f"{self.case_id} ~ {self.other_id} ({self.score:.2f})"


class RecurringPolicy(models.Model):
    """When cases count as recurring. Without a row, the defaults below apply; admins edit it."""

    audit_type = "recurring_policy"

    name = models.CharField(max_length=20, primary_key=True, default="default")
    min_cases = models.PositiveSmallIntegerField(
        default=3, help_text="How many cases make a cluster (at least 2)."
    )
    window_days = models.PositiveSmallIntegerField(
        default=14, help_text="Within how many days the cases were reported."
    )
    near_duplicate_score = models.FloatField(
        default=NEAR_DUPLICATE_SCORE,
        help_text="Likeness (similarity without query-relative parts) from which two cases "
        "count as near-duplicates "
        "(see docs/performance.md, Issue 5).",
    )

    class Meta:
        verbose_name_plural = "recurring policy"
        constraints = [
            models.CheckConstraint(condition=models.Q(min_cases__gte=2), name="recurring_min_2"),
            models.CheckConstraint(
                condition=models.Q(window_days__gte=1), name="recurring_window_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{plural(self.min_cases, 'case')} in {plural(self.window_days, 'day')}"

    @property
    def key(self) -> str:
        return self.name


class ClusterBasis(models.TextChoices):
    SIGNATURE = "signature", "Same log signature"
    NEAR_DUPLICATE = "near_duplicate", "Near-duplicate reports"


class ClusterState(models.TextChoices):
    OPEN = "open", "Open"
    LINKED = "linked", "Linked to a work item"
    DISMISSED = "dismissed", "Dismissed"


class RecurringCluster(models.Model):
    """Cases that share a signature, or are near-duplicates, within the policy's window."""

    audit_type = "recurring_cluster"

    key = models.CharField(max_length=20, unique=True)
    number = models.PositiveBigIntegerField(unique=True)
    basis = models.CharField(max_length=16, choices=ClusterBasis.choices)
    signature = models.ForeignKey(
        Signature, null=True, blank=True, on_delete=models.CASCADE, related_name="clusters"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=ClusterState.choices, default="open")
    cases = models.ManyToManyField(
        "cases.Case", through="ClusterMember", related_name="recurring_clusters"
    )
    size = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    work_item = models.ForeignKey(
        "workitems.WorkItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["signature"],
                condition=models.Q(state="open"),
                name="one_open_cluster_per_signature",
            ),
            models.CheckConstraint(
                condition=~models.Q(basis="signature") | models.Q(signature__isnull=False),
                name="signature_cluster_has_signature",
            ),
        ]
        indexes = [models.Index(fields=["state", "last_seen"], name="cluster_state")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class ClusterMember(models.Model):
    cluster = models.ForeignKey(RecurringCluster, on_delete=models.CASCADE, related_name="members")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "case"], name="cluster_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} in {self.cluster_id}"
