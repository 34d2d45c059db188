"""Regression tests for what the security and fuzz suites found."""

import pytest


@pytest.mark.parametrize("target", ["0", "home", "me", "staff-dashboard"])
def test_keepalive_with_a_bare_word_as_next_redirects_instead_of_failing(world, target):
    """It took the word for a view name: "next=0" was a 500 (NoReverseMatch)."""
    response = world.client("patient").post("/accounts/keepalive/", {"next": target})
    assert response.status_code == 302


def _refused(service, **kwargs):
    from django.core.exceptions import ValidationError

    from tests.security.world import db_fingerprint, fingerprint_diff

    before = db_fingerprint()
    with pytest.raises(ValidationError):
        service(**kwargs)
    assert not fingerprint_diff(before, db_fingerprint())


def test_services_refuse_values_of_the_wrong_kind_instead_of_crashing(world):
    """Found by tests/fuzz: bytes, lists or dates where text belongs crashed with AttributeError,
    a NUL character reached PostgreSQL (DataError), a bool start time crashed the planner."""
    import datetime as dt

    from portal.services import patient_register, staff_create
    from scheduling.services import course_book, session_cancel
    from screening.services import clearance_record
    from tests.security.world import MONDAY

    _refused(patient_register, first_name="Dora", last_name="Diaz", email="", phone=b"\x00")
    _refused(patient_register, first_name="Do\x00ra", last_name="Diaz", email="dora@example.com")
    _refused(patient_register, first_name="Dora", last_name="Diaz", email="d" * 250 + "@example.com")
    _refused(staff_create, email=[0], role="front_desk")
    _refused(staff_create, email="new@clinic.example", role=["front_desk"])
    _refused(staff_create, email="new@clinic.example", role="clinician", first_name="x" * 200)
    _refused(course_book, patient=world.alice, first_day=MONDAY + dt.timedelta(days=21), sessions_per_week=2,
             weeks=1, start_time=False)
    _refused(course_book, patient=world.alice, first_day=20261228, sessions_per_week=2, weeks=1,
             start_time=dt.time(10))
    _refused(course_book, patient=world.alice, first_day=MONDAY + dt.timedelta(days=21), sessions_per_week=2,
             weeks=float("inf"), start_time=dt.time(10))
    _refused(course_book, patient=None, first_day=MONDAY + dt.timedelta(days=21), sessions_per_week=2,
             weeks=1, start_time=dt.time(10))
    _refused(session_cancel, session=world.session, reason=dt.date(2000, 1, 1))
    _refused(session_cancel, session=world.session, reason="ill\x00")
    _refused(clearance_record, patient=world.bob, clinician=world.clinician, note=123, decision="more_info")


def test_a_first_day_at_the_edge_of_the_calendar_is_refused_not_crashed_on(patient, clinician):
    import datetime as dt

    from django.core.exceptions import ValidationError

    from scheduling.services import course_book
    from screening.services import clearance_record

    clearance_record(patient=patient, clinician=clinician)
    for day in (dt.date.min, dt.date.max, dt.date(1900, 1, 1)):
        with pytest.raises(ValidationError):
            course_book(patient=patient, first_day=day, sessions_per_week=2, weeks=1, start_time=dt.time(9, 0))


def test_junk_in_booking_and_sheet_addresses_never_fails(front_desk_client):
    # Found by the fuzz suite: "²" passes str.isdigit() but not int(); sheets at the
    # calendar's edge overflowed when stepping a day or a week.
    assert front_desk_client.get("/staff/book/?patient=%C2%B2").status_code == 200
    assert front_desk_client.get("/staff/book/?patient=99999999999999999999999").status_code == 200
    for day in ("0001-01-01", "9999-12-31"):
        assert front_desk_client.get(f"/staff/day/{day}/").status_code == 404
        assert front_desk_client.get(f"/staff/week/{day}/").status_code == 404
