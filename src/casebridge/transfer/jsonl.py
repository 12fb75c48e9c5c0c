"""Moving cases, their comments and work items between Casebridge installations as JSON lines.

``export_lines`` writes one JSON object per line: ``{"type": "work_item" | "case" | "comment" |
"work_item_comment", ...fields}``. Keys are kept (``CB-12``, ``BUG-7``); a reference to another
object is written by its natural key (a user's username, an organisation's, service's or team's
slug, a component as ``service/component``, a sprint as ``team/name``, a case or work item by its
key), so the file means the same thing in another installation. Work items come first, then
cases, then the cases' comments, then the work items' (staff-only) comments.

``import_lines`` reads such a file in one transaction: every line is checked first (a missing
user, service or case names its line and field, and nothing is written); then objects whose key
already exists are left as they are, so importing the same file twice changes nothing. Each
key counter moves past the imported keys, so the next new case does not collide.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from casebridge.accounts.models import Organisation, Team, User
from casebridge.cases.models import Case, Comment
from casebridge.catalog.models import Component, Service
from casebridge.core.errors import ValidationFailed
from casebridge.core.prepared import ModelField
from casebridge.core.text import plural
from casebridge.knowledge.models import KnownResolution
from casebridge.sprints.models import Sprint
from casebridge.workitems.models import WorkItem, WorkItemComment

#: The records, in the order they are written and read.
KINDS: dict[str, type[models.Model]] = {
    "work_item": WorkItem,
    "case": Case,
    "comment": Comment,
    "work_item_comment": WorkItemComment,
}
SKIPPED_FIELDS = {"id"}
MAX_PROBLEMS = 20


def _natural(obj: models.Model) -> str:
    if isinstance(obj, User):
        return obj.username
    if isinstance(obj, Component):
        return f"{obj.service.slug}/{obj.slug}"
    if isinstance(obj, Sprint):
        return f"{obj.team.slug}/{obj.name}"
    for attribute in ("key", "slug"):
        if hasattr(obj, attribute):
            return str(getattr(obj, attribute))
    raise TypeError(f"no natural key for {type(obj).__name__}")


def _find(model: type[models.Model], natural: str) -> models.Model | None:
    manager = model._default_manager
    if model is User:
        return manager.filter(username=natural).first()
    if model is Component:
        service, _, slug = natural.partition("/")
        return manager.filter(service__slug=service, slug=slug).first()
    if model is Sprint:
        team, _, name = natural.partition("/")
        return manager.filter(team__slug=team, name=name).first()
    if model in (Case, WorkItem, KnownResolution):
        return manager.filter(key=natural).first()
    if model in (Organisation, Service, Team):
        return manager.filter(slug=natural).first()
    return None


def _fields(model: type[models.Model]) -> list[ModelField]:
    return [f for f in model._meta.concrete_fields if f.name not in SKIPPED_FIELDS]


def _record(kind: str, obj: models.Model) -> dict[str, object]:
    record: dict[str, object] = {"type": kind}
    for f in _fields(type(obj)):
        if f.is_relation:
            target = getattr(obj, f.name)
            record[f.name] = _natural(target) if target is not None else None
        else:
            record[f.name] = f.value_from_object(obj)
    for m2m in type(obj)._meta.many_to_many:
        record[m2m.name] = sorted(_natural(o) for o in getattr(obj, m2m.name).all())
    return record


def _rows(model: type[models.Model], since: datetime | None) -> Iterator[models.Model]:
    rows = model._default_manager.order_by("pk")
    if since is not None:
        stamp = (
            "updated_at" if any(f.name == "updated_at" for f in _fields(model)) else "created_at"
        )
        rows = rows.filter(**{f"{stamp}__gte": since})
    related = [f.name for f in _fields(model) if f.is_relation]
    rows = rows.select_related(*related)
    if model._meta.many_to_many:
        rows = rows.prefetch_related(*(m.name for m in model._meta.many_to_many))
        return iter(list(rows.iterator(chunk_size=2000)))
    chunks: Iterator[models.Model] = rows.iterator(chunk_size=2000)
    return chunks


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeps milliseconds only; an export keeps every microsecond."""

    def default(self, o: object) -> object:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def export_lines(*, since: datetime | None = None) -> Iterator[str]:
    """Every work item, case and comment (changed since ``since``), one JSON object a line."""
    for kind, model in KINDS.items():
        for obj in _rows(model, since):
            yield json.dumps(_record(kind, obj), cls=_Encoder, ensure_ascii=False)


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


@dataclass
class _Pending:
    line: int
    kind: str
    values: dict[str, object]
    later: dict[str, str]  # same-model references, set once every object exists
    many: dict[str, list[models.Model]]


def _problem(problems: list[str], line: int, name: str, message: str) -> None:
    if len(problems) < MAX_PROBLEMS:
        problems.append(f"line {line}: {name}: {message}")


def _parse(lines: Iterable[str], problems: list[str]) -> list[_Pending]:
    pending: list[_Pending] = []
    keys_in_file: dict[type[models.Model], set[str]] = {Case: set(), WorkItem: set()}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            _problem(problems, number, "json", f"not JSON ({exc.msg})")
            continue
        kind = record.get("type") if isinstance(record, dict) else None
        model = KINDS.get(str(kind))
        if model is None:
            _problem(problems, number, "type", f"use one of {', '.join(KINDS)}")
            continue
        item = _Pending(number, str(kind), {}, {}, {})
        for f in _fields(model):
            _read_field(
                item, model=model, f=f, record=record, keys_in_file=keys_in_file, problems=problems
            )
        for m2m in model._meta.many_to_many:
            names = record.get(m2m.name) or []
            related = m2m.related_model
            assert isinstance(related, type)
            found = [_find(related, str(n)) for n in names]
            for name, obj in zip(names, found, strict=True):
                if obj is None:
                    _problem(problems, number, m2m.name, f"no user '{name}'")
            item.many[m2m.name] = [o for o in found if o is not None]
        if model in keys_in_file and item.values.get("key"):
            keys_in_file[model].add(str(item.values["key"]))
        pending.append(item)
    return pending


def _read_field(
    item: _Pending,
    *,
    model: type[models.Model],
    f: ModelField,
    record: Mapping[str, object],
    keys_in_file: dict[type[models.Model], set[str]],
    problems: list[str],
) -> None:
    value, number = record.get(f.name), item.line
    if not f.is_relation:
        if f.name not in record:
            if not f.has_default() and not f.null and not getattr(f, "auto_now", False):
                _problem(problems, number, f.name, "required")
            return
        try:
            item.values[f.name] = f.to_python(value)
        except ValidationError as exc:
            _problem(problems, number, f.name, "; ".join(exc.messages))
        return
    target_model = f.related_model
    assert isinstance(target_model, type)
    if value in (None, ""):
        if not f.null:
            _problem(problems, number, f.name, "required")
        item.values[f.name] = None
        return
    natural = str(value)
    if target_model is model or natural in keys_in_file.get(target_model, set()):
        item.later[f.name] = natural
        return
    target = _find(target_model, natural)
    if target is None:
        _problem(problems, number, f.name, f"no {target_model._meta.verbose_name} '{natural}'")
    else:
        item.values[f.name] = target


#: Comments have no key: what makes an imported one the same as one already there, per model
#: (its parent first).
_COMMENT_IDENTITY: dict[type[models.Model], tuple[str, ...]] = {
    Comment: ("case", "author", "created_at", "body"),
    WorkItemComment: ("work_item", "author", "created_at", "body"),
}


def _comment_exists(model: type[models.Model], values: Mapping[str, object]) -> bool:
    """Whether the comment is there already (its values read from the file, as its fields)."""
    names = _COMMENT_IDENTITY[model]
    return model._default_manager.filter(**{name: values[name] for name in names}).exists()


def _advance_counters(model: type[models.Model], keys: Iterable[str]) -> None:
    highest: dict[str, int] = {}
    for key in keys:
        prefix, _, digits = key.rpartition("-")
        if prefix and digits.isdigit():
            highest[prefix] = max(highest.get(prefix, 0), int(digits))
    with connection.cursor() as cursor:
        for prefix, number in highest.items():
            cursor.execute(
                "INSERT INTO core_sequence (name, value) VALUES (%s, %s) ON CONFLICT (name) "
                "DO UPDATE SET value = CASE WHEN core_sequence.value < excluded.value "
                "THEN excluded.value ELSE core_sequence.value END",
                [prefix, number],
            )


def import_lines(lines: Iterable[str]) -> ImportResult:
    """Import an export: all of it or, at the first problem found, nothing."""
    problems: list[str] = []
    pending = _parse(lines, problems)
    if problems:
        raise ValidationFailed(
            f"Nothing imported: {plural(len(problems), 'problem')}",
            fields={"file": "\n".join(problems)},
        )
    result = ImportResult()
    created: list[tuple[_Pending, models.Model]] = []
    with transaction.atomic():
        for item in pending:
            model = KINDS[item.kind]
            key = item.values.get("key")
            if model in _COMMENT_IDENTITY:
                parent = _COMMENT_IDENTITY[model][0]
                parent_model = model._meta.get_field(parent).related_model
                assert isinstance(parent_model, type)
                found = item.values.get(parent) or _find(parent_model, item.later.get(parent, ""))
                exists = _comment_exists(model, {**item.values, parent: found})
            else:
                exists = model._default_manager.filter(key=key).exists()
            if exists:
                result.unchanged[item.kind] += 1
                continue
            values = dict(item.values)
            for name, natural in item.later.items():
                target = _find(model._meta.get_field(name).related_model, natural)  # type: ignore[arg-type]
                if target is not None:
                    values[name] = target
            obj = model(**{k: v for k, v in values.items() if not k.endswith("updated_at")})
            obj.save(force_insert=True)
            stamps = {k: v for k, v in values.items() if k == "updated_at" and v is not None}
            if stamps:
                model._default_manager.filter(pk=obj.pk).update(**stamps)
            for name, objs in item.many.items():
                getattr(obj, name).set(objs)
            created.append((item, obj))
            result.created[item.kind] += 1
        for item, obj in created:  # references within the file to objects created after them
            missing = {n: v for n, v in item.later.items() if getattr(obj, f"{n}_id") is None}
            for name, natural in missing.items():
                setattr(obj, name, _find(obj._meta.get_field(name).related_model, natural))  # type: ignore[arg-type]
            if missing:
                type(obj)._default_manager.filter(pk=obj.pk).update(
                    **{n: getattr(obj, n) for n in missing}
                )
        _advance_counters(WorkItem, (str(o.key) for i, o in created if i.kind == "work_item"))  # type: ignore[attr-defined]
        _advance_counters(Case, (str(o.key) for i, o in created if i.kind == "case"))  # type: ignore[attr-defined]
    return result
