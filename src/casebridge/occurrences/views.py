"""Pages and HTMX partials of previous occurrences: the case workbench panel, the draft panel of
the new-case form, signature and service pages, and recurring clusters. Internal: customers and
partners get 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from casebridge.cases.selectors import case_get_for
from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.catalog.selectors import service_get
from casebridge.core.actors import Actor
from casebridge.core.csvexport import csv_response
from casebridge.core.errors import DomainError
from casebridge.core.text import plural
from casebridge.incidents.health import service_health_for
from casebridge.incidents.workflow import STAFF as INCIDENT_STAFF
from casebridge.occurrences import recurring
from casebridge.occurrences.draft import SeenBefore, seen_before_for_draft
from casebridge.occurrences.forms import (
    CLUSTER_FORMS,
    BugForm,
    DraftForm,
    ImprovementForm,
    RelatedForm,
)
from casebridge.occurrences.models import ClusterState, RecurringCluster
from casebridge.occurrences.panels import (
    service_overview_for,
    signature_texts,
    workbench_for,
)
from casebridge.occurrences.recurring.actions import LinkOutcome
from casebridge.occurrences.selectors import Occurrences, similar_for_case
from casebridge.occurrences.services import case_link_add, case_link_remove
from casebridge.occurrences.signatures import (
    CSV_HEADER,
    SignatureFilters,
    case_signatures_for,
    log_sources_for,
    sightings_for,
    signature_csv_rows_for,
    signature_get_for,
    signature_list_for,
    signature_reach_for,
)
from casebridge.web.pages import Request, attach_errors, page, viewer
from casebridge.workitems.definitions import workflow_for

PARSED_EVENT = "signatures-parsed"


def _partial(request: Request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


# --- the case workbench -------------------------------------------------------------------------


@require_GET
@page(internal=True)
def escalate_similar(request: Request, key: str) -> HttpResponse:
    """Beside the escalation checklist: the work items most like the case, each with its state;
    a warning when the most similar one is finished (a regression?)."""
    user = viewer(request)
    case = case_get_for(user, key)
    rows = []
    for hit in similar_for_case(user, case, k=5).work_items:
        workflow = workflow_for(hit.object.category)
        group = workflow.group_of(hit.object.status)
        rows.append((hit, workflow.state(hit.object.status).label, group in ("done", "rejected")))
    context = {"case": case, "rows": rows, "regression": rows[0] if rows and rows[0][2] else None}
    return render(request, "occurrences/_escalate_similar.html", context)


def _workbench_context(request: Request, key: str, **extra: object) -> dict[str, object]:
    user = viewer(request)
    case = case_get_for(user, key)
    options = CASE_WORKFLOW.options_for(user, case)
    return {
        "case": case,
        "wb": workbench_for(user, case),
        "can_resolve": any(o.transition.action == "resolve" and o.allowed for o in options),
        "can_link": not user.is_external,
        **extra,
    }


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def case_workbench(request: Request, key: str) -> HttpResponse:
    """Previous occurrences, suggested known fixes and log signatures of a case (lazy panel)."""
    context = _workbench_context(request, key)
    template = "occurrences/_workbench.html" if _partial(request) else "occurrences/case.html"
    return render(request, template, context)


@require_GET
@page(internal=True)
def case_logs(request: Request, key: str) -> HttpResponse:
    """The log signatures panel; polled while a log is being parsed."""
    user = viewer(request)
    case = case_get_for(user, key)
    sources = log_sources_for(user, case)
    parsing = any(s.active for s in sources)
    signatures = case_signatures_for(user, case)
    context = {"case": case, "sources": sources, "signatures": signatures, "parsing": parsing}
    response = render(request, "occurrences/_logs.html", context)
    if not parsing:
        response["HX-Trigger"] = PARSED_EVENT  # the workbench reloads with the new signatures
    return response


def _back_to_case(
    request: Request, key: str, *, status: int = 200, **extra: object
) -> HttpResponse:
    if _partial(request):
        context = _workbench_context(request, key, status=status, **extra)
        return render(request, "occurrences/_workbench.html", context, status=status)
    return redirect(reverse("cases:detail", kwargs={"key": key}) + "#occurrences")


@require_POST
@page(internal=True)
def case_related(request: Request, key: str) -> HttpResponse:
    """Mark another case as related to this one (one action from a hit)."""
    user = viewer(request)
    case = case_get_for(user, key)
    form = RelatedForm(request.POST)
    form.is_valid()
    try:
        other = case_get_for(user, str(form.cleaned_data.get("other") or ""))
        case_link_add(actor=user, case=case, other=other)
    except DomainError as exc:
        message = " ".join(exc.fields.values()) or exc.message
        messages.error(request, message)
        return _back_to_case(request, case.key, error=message, status=exc.status)
    messages.success(request, f"{case.key} and {other.key} are marked related.")
    return _back_to_case(request, case.key)


@require_POST
@page(internal=True)
def case_unrelated(request: Request, key: str, other: str) -> HttpResponse:
    user = viewer(request)
    case = case_get_for(user, key)
    case_link_remove(actor=user, case=case, other=case_get_for(user, other))
    return _back_to_case(request, case.key)


# --- the new-case form --------------------------------------------------------------------------


@require_POST
@page(internal=True)
def draft_similar(request: Request) -> HttpResponse:
    """ "Seen before?" for the case being typed (debounced HTMX from the form): open clusters and
    open cases about the same problem first, then earlier cases, and credible known fixes."""
    form = DraftForm(request.POST)
    seen = SeenBefore()
    if form.has_text:
        seen = seen_before_for_draft(viewer(request), **form.draft(), k=5)
    found = Occurrences(cases=seen.hits())
    context = {"seen": seen, "form": form, "texts": signature_texts(found)}
    return render(request, "occurrences/_draft_results.html", context)


# --- signatures and services --------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@page(internal=True)
def signature_list(request: Request) -> HttpResponse:
    filters = _signature_filters(request)
    rows, total = signature_list_for(viewer(request), filters, limit=100)
    context = {"rows": rows, "total": total, "filters": filters}
    template = (
        "occurrences/_signature_rows.html" if _partial(request) else "occurrences/signatures.html"
    )
    return render(request, template, context)


def _signature_filters(request: Request) -> SignatureFilters:
    return SignatureFilters(
        service=request.GET.get("service", ""),
        q=request.GET.get("q", "").strip(),
        notable=request.GET.get("all") != "1",
    )


@require_GET
@page(internal=True)
def signature_export(request: Request) -> HttpResponseBase:
    """The list as CSV with the page's filters, every match (not the page's 100), streamed."""
    rows = signature_csv_rows_for(viewer(request), _signature_filters(request))
    return csv_response("signatures", CSV_HEADER, rows)


@require_GET
@page(internal=True)
def signature_detail(request: Request, signature_id: str) -> HttpResponse:
    user = viewer(request)
    signature = signature_get_for(user, signature_id)
    cases, services = signature_reach_for(signature)
    context = {
        "signature": signature,
        "reach_cases": cases,
        "reach_services": services,
        "sightings": sightings_for(user, signature),
        "fixes": list(signature.known_resolutions.all()),
        "clusters": list(signature.clusters.order_by("-last_seen")[:10]),
    }
    return render(request, "occurrences/signature.html", context)


@require_GET
@page(internal=True)
def service_page(request: Request, slug: str) -> HttpResponse:
    """A service: its health (firing alerts, open incidents), recurring clusters, top log
    signatures and recent cases."""
    user = viewer(request)
    overview = service_overview_for(user, service_get(slug))
    context = {
        "o": overview,
        "service": overview.service,
        "health": service_health_for(user, overview.service),
        "can_declare": user.has_role(*INCIDENT_STAFF),
    }
    return render(request, "occurrences/service.html", context)


# --- recurring clusters -------------------------------------------------------------------------


@require_GET
@page(internal=True)
def queue_clusters(request: Request) -> HttpResponse:
    """The compact banner of open clusters above the L2 queue (lazy partial)."""
    clusters = recurring.cluster_list_for(viewer(request), limit=4)
    return render(request, "occurrences/_queue_clusters.html", {"clusters": clusters})


@require_GET
@page(internal=True)
def cluster_list(request: Request) -> HttpResponse:
    state = request.GET.get("state", ClusterState.OPEN)
    state = state if state in ClusterState.values or state == "" else ClusterState.OPEN
    clusters = recurring.cluster_list_for(viewer(request), state=state, limit=100)
    context = {"clusters": clusters, "state": state, "states": ClusterState.choices}
    return render(request, "occurrences/clusters.html", context)


def _cluster_forms(cluster: RecurringCluster, bound: dict[str, object]) -> dict[str, object]:
    signature = cluster.signature
    excerpt = signature.template if signature is not None else ""
    initial = {
        "bug": {"title": cluster.title[:200], "log_excerpt": excerpt},
        "improvement": {
            "title": f"Stop the recurrence: {cluster.title}"[:200],
            "rationale": (
                f"{plural(cluster.size, 'case')} in the recurring cluster {cluster.key} "
                f"({cluster.get_basis_display().lower()}"
                + (f": {excerpt}" if excerpt else "")
                + ")."
            ),
        },
    }
    return {
        name: bound.get(name) or form_class(initial=initial.get(name), prefix=name)
        for name, form_class in CLUSTER_FORMS.items()
    }


def _render_cluster(
    request: Request, key: str, *, bound: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    user = viewer(request)
    cluster = recurring.cluster_get_for(user, key)
    context = {
        "cluster": cluster,
        "cases": recurring.cluster_cases_for(user, cluster),
        "forms": _cluster_forms(cluster, bound or {}),
        "opened": next(iter(bound or {}), ""),
        "can_act": cluster.state == ClusterState.OPEN and user.has_role(*recurring.ACTORS),
    }
    return render(request, "occurrences/cluster.html", context, status=status)


@require_GET
@page(internal=True)
def cluster_detail(request: Request, key: str) -> HttpResponse:
    return _render_cluster(request, key)


def _apply(
    action: str, user: Actor, cluster: RecurringCluster, form: forms.Form
) -> LinkOutcome | RecurringCluster:
    data = form.cleaned_data
    docs = form.docs() if isinstance(form, BugForm | ImprovementForm) else {}
    if action == "link":
        work_item = data.get("work_item") or ""
        return recurring.recurring_link_all(actor=user, cluster=cluster, work_item=work_item)
    title = data.get("title") or ""
    if action == "bug":
        return recurring.recurring_create_bug(actor=user, cluster=cluster, title=title, docs=docs)
    if action == "improvement":
        return recurring.recurring_propose_improvement(
            actor=user, cluster=cluster, title=title, docs=docs
        )
    return recurring.recurring_dismiss(actor=user, cluster=cluster, reason=data.get("reason") or "")


@require_POST
@page(internal=True)
def cluster_act(request: Request, key: str, action: str) -> HttpResponse:
    """One action on a cluster, in one transaction; refusals are shown beside the fields."""
    user = viewer(request)
    cluster = recurring.cluster_get_for(user, key)
    if action not in CLUSTER_FORMS:
        return _render_cluster(request, key, status=404)
    form = CLUSTER_FORMS[action](request.POST, prefix=action)
    form.is_valid()
    try:
        outcome = _apply(action, user, cluster, form)
    except DomainError as exc:
        attach_errors(form, exc)
        return _render_cluster(request, key, bound={action: form}, status=exc.status)
    messages.success(request, _done(action, cluster.key, outcome))
    return redirect("occurrences:cluster", key=cluster.key)


def _done(action: str, key: str, outcome: LinkOutcome | RecurringCluster) -> str:
    if action == "dismiss" or not isinstance(outcome, LinkOutcome):
        return f"{key} dismissed."
    if action == "improvement":
        return f"{outcome.work_item.key} proposed from {key}."
    skipped = len(outcome.skipped)
    left = f" ({skipped} not open, left as {'it is' if skipped == 1 else 'they are'})"
    linked = len(outcome.linked)
    follow = "follows" if linked == 1 else "follow"
    return (
        f"{plural(linked, 'case')} of {key} {follow} {outcome.work_item.key}"
        f"{left if skipped else ''}."
    )
