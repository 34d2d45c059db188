"""ClinicSettings moved from scheduling to portal (portal 0005, scheduling 0006) with its
row, the opening hours and closed days that point at it, and its content type."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("portal", "0004_user_two_factor_required_from"), ("scheduling", "0005_review_due_clinicians_kind")]
AFTER = [("portal", "0005_clinicsettings"), ("scheduling", "0006_clinicsettings_to_portal")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_the_move():
    apps = migrate(BEFORE)
    yield apps
    # Leave the database at the latest migrations for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_clinic_settings_and_their_hours_survive_the_move_to_portal(before_the_move):
    old = before_the_move
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Group = old.get_model("auth", "Group")
    old_settings = old.get_model("scheduling", "ClinicSettings")
    old_type = ContentType.objects.get_or_create(app_label="scheduling", model="clinicsettings")[0]
    view = Permission.objects.get_or_create(content_type=old_type, codename="view_clinicsettings",
                                            defaults={"name": "Can view clinic settings"})[0]
    Group.objects.get_or_create(name="front_desk")[0].permissions.add(view)
    old_settings.objects.all().delete()
    clinic = old_settings.objects.create(pk=1, time_zone="Europe/Lisbon", no_driving_hours=20, infusion_minutes=45)
    old.get_model("scheduling", "OpeningHours").objects.create(
        clinic=clinic, weekday=5, opens=dt.time(9), closes=dt.time(13)
    )
    old.get_model("scheduling", "ClosedDay").objects.create(clinic=clinic, date=dt.date(2026, 12, 25), reason="Xmas")

    new = migrate(AFTER)

    moved = new.get_model("portal", "ClinicSettings").objects.get(pk=1)
    assert (moved.time_zone, moved.no_driving_hours, moved.infusion_minutes) == ("Europe/Lisbon", 20, 45)
    hours = new.get_model("scheduling", "OpeningHours").objects.get(clinic=moved, weekday=5)
    assert (hours.opens, hours.closes) == (dt.time(9), dt.time(13))
    assert new.get_model("scheduling", "ClosedDay").objects.get(clinic=moved).reason == "Xmas"
    new_types = new.get_model("contenttypes", "ContentType").objects
    assert not new_types.filter(app_label="scheduling", model="clinicsettings").exists()
    assert new_types.get(app_label="portal", model="clinicsettings").pk == old_type.pk
    group = new.get_model("auth", "Group").objects.get(name="front_desk")
    assert group.permissions.filter(content_type__app_label="portal", codename="view_clinicsettings").exists()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "portal_clinicsettings" in tables and "scheduling_clinicsettings" not in tables


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone_with_the_rows(before_the_move):
    new = migrate(AFTER)
    new.get_model("portal", "ClinicSettings").objects.update_or_create(pk=1, defaults={"no_driving_hours": 18})

    old = migrate(BEFORE)

    assert old.get_model("scheduling", "ClinicSettings").objects.get(pk=1).no_driving_hours == 18
