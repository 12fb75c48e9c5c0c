"""Deployment events move work items: a successful deployment to production of a release that
names an item moves it to awaiting validation with the environment and version, through the
workflow engine (``release`` to record the version, then ``deploy``), as the pipeline (acting as
DevOps). Other environments and unsuccessful runs are noted, not acted on.

Where the items come from:

* generic events: ``work_items`` (``BUG-7``, ``AB#123``);
* GitHub ``deployment_status``: references in the deployment's ``description``, ``ref`` and
  ``payload.work_items``;
* Azure Pipelines: references in the release's (or run's) name, description, the artifacts'
  versions and branches, and the message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from casebridge.core.errors import DomainError
from casebridge.integrations.delivery.models import InboundEvent, SourceKind
from casebridge.integrations.delivery.outcomes import Ignored
from casebridge.integrations.delivery.references import (
    PipelineActor,
    references_in,
    work_items_for,
)
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition

SUCCESS = frozenset({"succeeded", "success", "completed"})


def is_production(environment: str) -> bool:
    name = environment.strip().lower()
    return name.startswith("prod") or name in ("live", "prd")


def _get(data: object, *path: str) -> object:
    for part in path:
        data = data.get(part) if isinstance(data, Mapping) else None
    return data


def _obj(data: object, *path: str) -> Mapping[str, object]:
    """The JSON object at ``path`` (an empty one when there is none)."""
    found = _get(data, *path)
    return found if isinstance(found, Mapping) else {}


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _parse(event: InboundEvent, data: Mapping[str, object]) -> tuple[str, str, str, list[str], str]:
    """(status, environment, version, references, who)."""
    kind = event.source.kind
    if kind == SourceKind.DEPLOYMENTS:
        refs = [str(r) for r in _list(data.get("work_items"))]
        return (
            str(data["status"]),
            str(data["environment"]),
            str(data["version"]),
            references_in(*refs),
            f"{data['service']} deployment",
        )
    if kind == SourceKind.GITHUB:
        deployment = _obj(data, "deployment")
        payload = deployment.get("payload")
        extra = json.dumps(payload) if isinstance(payload, Mapping | list) else str(payload or "")
        refs = references_in(deployment.get("description"), deployment.get("ref"), extra)
        version = str(deployment.get("sha") or deployment.get("ref") or "")[:64]
        if isinstance(payload, Mapping) and payload.get("version"):
            version = str(payload["version"])[:64]
        repo = str(_get(data, "repository", "full_name") or "GitHub")
        return (
            str(_get(data, "deployment_status", "state") or ""),
            str(deployment.get("environment") or ""),
            version,
            refs,
            f"GitHub deployment of {repo}",
        )
    resource = _obj(data, "resource")
    if event.event_type == "ms.vss-release.deployment-completed-event":
        environment = _obj(resource, "environment")
        release = (
            _obj(resource, "release")
            or _obj(environment, "release")
            or _obj(resource, "deployment", "release")
        )
        artifacts = release.get("artifacts")
        texts = [release.get("name"), release.get("description"), _get(data, "message", "text")]
        for artifact in artifacts if isinstance(artifacts, list) else []:
            ref = artifact.get("definitionReference") if isinstance(artifact, Mapping) else None
            for key in ("version", "branch", "sourceVersion"):
                texts.append(_get(ref, key, "name"))
        return (
            str(environment.get("status") or ""),
            str(environment.get("name") or ""),
            str(release.get("name") or "")[:64],
            references_in(*texts),
            "Azure Pipelines release",
        )
    run = _obj(resource, "run")
    stage = _obj(resource, "stage")
    state = str(run.get("result") or stage.get("result") or "")
    where = str(stage.get("name") or _get(run, "variables", "environment", "value") or "")
    texts = [run.get("name"), _get(resource, "pipeline", "name"), _get(data, "message", "text")]
    return (
        state,
        where,
        str(run.get("name") or "")[:64],
        references_in(*texts),
        "Azure Pipelines run",
    )


def move_to_validation(item: WorkItem, *, environment: str, version: str, who: str) -> str:
    """Record the release and the deployment of ``item`` through the engine; a note of what
    happened."""
    actor = PipelineActor(who)
    workflow = workflow_for(item.category)
    deploy = workflow.transition("deploy")
    if deploy is None or deploy.target is None:
        return f"{item.key}: its workflow has no deployment"
    if item.status == deploy.target or workflow.group_of(item.status) in ("done", "rejected"):
        return f"{item.key}: already {workflow.state(item.status).label.lower()}"
    if item.status not in deploy.sources:
        return f"{item.key}: not in release ({workflow.state(item.status).label.lower()})"
    reason = f"Deployed to {environment} ({version}) by {who}"
    try:
        if not item.release_version or item.release_version != version:
            item = work_item_transition(
                actor=actor,
                item=item,
                action="release",
                data={"version": version, "reason": reason},
            )
        work_item_transition(
            actor=actor,
            item=item,
            action="deploy",
            data={"environment": "production", "reason": reason},
        )
    except DomainError as exc:
        return f"{item.key}: refused: {exc}"
    return f"{item.key}: awaiting validation"


def process(event: InboundEvent, data: Mapping[str, object]) -> str:

    status, environment, version, refs, who = _parse(event, data)
    if status.lower() not in SUCCESS:
        raise Ignored(f"A deployment that is '{status}', not successful.")
    if not is_production(environment):
        raise Ignored(f"A deployment to '{environment}', not production.")
    items = work_items_for(refs)
    if not items:
        raise Ignored("The deployment names no known work item.")
    version = version.strip() or "unknown"
    notes = [
        move_to_validation(item, environment=environment, version=version, who=who)
        for item in items
    ]
    return "; ".join(notes)
