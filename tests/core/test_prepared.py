"""Statements built once (``core.prepared``) read and write exactly what the ORM would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import MultipleObjectsReturned
from django.db import transaction

from casebridge.accounts.models import ApiToken, User
from casebridge.accounts.services import token_authenticate, token_create, token_revoke
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.catalog.models import Component, Service
from casebridge.core.prepared import (
    row_by,
    row_for_update,
    row_insert,
    row_save,
    rows_insert_new,
    rows_insert_returning,
    rows_read,
)
from casebridge.integrations.models import OutboxMessage
from tests import factories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_row_insert_writes_what_save_writes_and_sets_the_key() -> None:
    with transaction.atomic():
        event = row_insert(
            AuditEvent(
                at=NOW,
                subject_type="case",
                subject_key="CB-1",
                action="created",
                data={"source": "api", "n": 2},
                public=True,
            )
        )
    assert event.pk is not None
    assert event._state.adding is False
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.at, stored.subject_key, stored.data, stored.public) == (
        NOW,
        "CB-1",
        {"source": "api", "n": 2},
        True,
    )
    # Defaults held by the instance are written, as save() writes them.
    assert (stored.field, stored.old, stored.reason) == ("", "", "")


@pytest.mark.django_db
def test_row_insert_keys_follow_each_other() -> None:
    with transaction.atomic():
        first = row_insert(OutboxMessage(topic="t", payload={}, created_at=NOW, available_at=NOW))
        second = row_insert(OutboxMessage(topic="t", payload={}, created_at=NOW, available_at=NOW))
    assert second.pk > first.pk
    assert OutboxMessage.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


@pytest.mark.django_db
def test_row_insert_fills_auto_now() -> None:
    world = factories.build_world()
    case = factories.make_case(world, title="Printer on fire")
    with time_machine.travel(NOW, tick=False):
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy.key, copy.number = "CB-9999", 9999
        copy.updated_at = None  # type: ignore[assignment]
        with transaction.atomic():
            row_insert(copy)
    assert Case.objects.get(key="CB-9999").updated_at == NOW


@pytest.mark.django_db
def test_rows_read_converts_values_and_defers_the_rest() -> None:
    factories.build_world()
    user = User.objects.order_by("pk").first()
    assert user is not None
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, username, is_active, date_joined FROM accounts_user WHERE id = %s",
            [user.pk],
        )
        (read,) = rows_read(User, ("id", "username", "is_active", "date_joined"), cursor.fetchall())
    assert (read.pk, read.username, read.is_active) == (user.pk, user.username, True)
    assert read.date_joined == user.date_joined  # aware, as the ORM gives it
    assert read.date_joined.tzinfo is not None
    assert "email" in read.get_deferred_fields()
    assert read.email == user.email  # loaded on demand


@pytest.mark.django_db
def test_row_by_finds_one_row_or_none() -> None:
    service = Service.objects.create(name="Payments", slug="payments")
    Component.objects.create(service=service, name="Core", slug="core")
    other = Service.objects.create(name="Search", slug="search")
    Component.objects.create(service=other, name="Core", slug="core")

    found = row_by(Component, service_id=other.pk, slug="core")
    assert found is not None
    assert (found.service_id, found.slug) == (other.pk, "core")
    assert row_by(Service, slug="payments") == service
    assert row_by(Service, slug="nope") is None
    with pytest.raises(MultipleObjectsReturned):
        row_by(Component, slug="core")


@pytest.mark.django_db
def test_token_authentication_reads_user_roles_and_scope_in_two_statements(
    django_assert_max_num_queries: object,
) -> None:
    factories.build_world()
    user = User.objects.get(username="l2")
    with time_machine.travel(NOW, tick=False):
        token, secret = token_create(actor=None, user=user, name="ci", scope="write")
        found = token_authenticate(secret)
        assert found is not None
        assert found[0].pk == user.pk
        assert found[1].scope == "write"
        assert ApiToken.objects.get(pk=token.pk).last_used_at == NOW
        # Used again within five minutes: read only, no bookkeeping write, roles known.
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        with django_assert_max_num_queries(2):  # type: ignore[operator]
            again = token_authenticate(secret)
            assert again is not None
            assert again[0].roles == frozenset({"l2_engineer"})
        assert ApiToken.objects.get(pk=token.pk).last_used_at == NOW
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        assert token_authenticate(secret) is not None
        assert ApiToken.objects.get(pk=token.pk).last_used_at == NOW + timedelta(minutes=6)


@pytest.mark.django_db
def test_token_authentication_refuses_revoked_expired_unknown_and_inactive() -> None:
    factories.build_world()
    user = User.objects.get(username="l2")
    with time_machine.travel(NOW, tick=False):
        token, secret = token_create(actor=None, user=user, name="ci", expires_in_days=1)
        assert token_authenticate(secret) is not None
        assert token_authenticate(secret[:-1] + ("x" if secret[-1] != "x" else "y")) is None
        assert token_authenticate("not-a-token") is None
    with time_machine.travel(NOW + timedelta(days=1, seconds=1), tick=False):
        assert token_authenticate(secret) is None  # expired
    with time_machine.travel(NOW, tick=False):
        user.is_active = False
        user.save()
        assert token_authenticate(secret) is None  # the person left
        user.is_active = True
        user.save()
        token_revoke(actor=None, token=token)
        assert token_authenticate(secret) is None  # revoked


@pytest.mark.django_db
def test_rows_insert_and_update_write_what_the_orm_writes() -> None:
    """The short way for plain values (``_preparer``): keys, texts, numbers, booleans, ``None``,
    aware datetimes of any zone (the same moment, once adapted, for every row that shares it)."""
    from zoneinfo import ZoneInfo

    from casebridge.core.prepared import rows_insert, rows_update

    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin"))
    messages = [
        OutboxMessage(topic=f"t{n}", payload={"n": n}, created_at=berlin, available_at=NOW)
        for n in range(3)
    ]
    with transaction.atomic():
        rows_insert(OutboxMessage, messages)
    stored = list(OutboxMessage.objects.filter(topic__in=["t0", "t1", "t2"]).order_by("topic"))
    assert [(m.topic, m.payload, m.created_at, m.available_at) for m in stored] == [
        (f"t{n}", {"n": n}, NOW, NOW) for n in range(3)
    ]
    event = row_insert(
        AuditEvent(at=NOW, subject_type="case", subject_key="CB-9", action="created", data={})
    )
    event.public, event.old, event.at = True, "before", NOW + timedelta(hours=1)
    event.actor_id = None
    with transaction.atomic():
        rows_update(AuditEvent, [event], ["public", "old", "at", "actor"])
    again = AuditEvent.objects.get(pk=event.pk)
    assert (again.public, again.old, again.at, again.actor_id) == (
        True,
        "before",
        NOW + timedelta(hours=1),
        None,
    )


@pytest.mark.django_db
def test_rows_insert_returning_writes_in_order_and_sets_each_key() -> None:
    with transaction.atomic():
        events = [
            AuditEvent(at=NOW, subject_type="case", subject_key=f"CB-{n}", action="edited")
            for n in (3, 1, 2)
        ]
        written = rows_insert_returning(events)
    assert [e.subject_key for e in written] == ["CB-3", "CB-1", "CB-2"]
    assert all(e._state.adding is False for e in written)
    assert written[0].pk < written[1].pk < written[2].pk
    stored = {
        e.pk: e.subject_key for e in AuditEvent.objects.filter(pk__in=[e.pk for e in written])
    }
    assert stored == {e.pk: e.subject_key for e in written}
    assert rows_insert_returning([]) == []


@pytest.mark.django_db
def test_row_for_update_reads_what_the_orm_reads_and_row_save_writes_what_save_writes() -> None:
    case = factories.make_case(factories.build_world())
    with transaction.atomic():
        locked = row_for_update(Case, case.pk)
        orm = Case.objects.get(pk=case.pk)
        assert [getattr(locked, f.attname) for f in Case._meta.concrete_fields] == [
            getattr(orm, f.attname) for f in Case._meta.concrete_fields
        ]
        locked.title = "Checkout fails for every card"
        later = NOW + timedelta(hours=1)
        with time_machine.travel(later, tick=False):
            row_save(locked)
    stored = Case.objects.get(pk=case.pk)
    assert stored.title == "Checkout fails for every card"
    assert stored.updated_at == later  # auto_now, as save() stamps it
    assert stored.created_at == orm.created_at
    with pytest.raises(Case.DoesNotExist), transaction.atomic():
        row_for_update(Case, case.pk + 1000)


@pytest.mark.django_db
def test_rows_insert_new_skips_what_a_unique_constraint_refuses_and_keys_the_rest() -> None:
    Service.objects.create(name="Payments", slug="payments")
    fresh = [
        Service(name="Search", slug="search"),
        Service(name="Payments again", slug="payments"),  # taken: skipped, nothing raised
        Service(name="Identity", slug="identity"),
    ]
    with transaction.atomic():
        written = rows_insert_new(fresh, by=("slug",))
    assert [s.slug for s in written] == ["search", "identity"]
    for service in written:
        assert Service.objects.get(pk=service.pk).name == service.name
    assert fresh[1].pk is None
    assert Service.objects.get(slug="payments").name == "Payments"
    assert rows_insert_new([], by=("slug",)) == []
