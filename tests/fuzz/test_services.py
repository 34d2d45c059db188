"""Hypothesis calls every service of the contract (/work/shared/CONTRACT.md) with
arbitrary values of arbitrary types: each either works or raises ValidationError
(or PermissionDenied) and then has written nothing."""

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from portal.services import patient_register, staff_create
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.services import course_book, session_cancel
from screening.services import checklist_evaluate, clearance_record
from symptoms.services import phq9_record
from tests.fuzz.helpers import FUZZ_SERVICES, anything, junk_text, rolled_back
from tests.security.world import MONDAY, db_fingerprint, fingerprint_diff

REFUSALS = (ValidationError, PermissionDenied)


def call_and_check(service, **kwargs):
    """The service works, or refuses with ValidationError/PermissionDenied and writes nothing."""
    before = db_fingerprint()
    try:
        return service(**kwargs)
    except REFUSALS:
        changed = fingerprint_diff(before, db_fingerprint())
        assert not changed, f"{service.__name__} refused but wrote {sorted(changed)}"
        return None


names = st.one_of(st.sampled_from(["Dora", "Diaz", "", "  "]), junk_text, anything)


@FUZZ_SERVICES
@given(first_name=names, last_name=names, email=st.one_of(st.sampled_from(["dora@example.com", ""]), anything),
       phone=st.one_of(st.sampled_from(["(555) 010-0123", ""]), anything),
       date_of_birth=st.one_of(st.none(), st.dates(), anything))
def test_patient_register_refuses_cleanly(world, first_name, last_name, email, phone, date_of_birth):
    with rolled_back():
        call_and_check(patient_register, first_name=first_name, last_name=last_name, email=email, phone=phone,
                       date_of_birth=date_of_birth)


@FUZZ_SERVICES
@given(email=st.one_of(st.sampled_from(["new.staff@clinic.example", "fran@clinic.example"]), anything),
       role=st.one_of(st.sampled_from(["front_desk", "clinician", "patient", ""]), anything),
       first_name=names, last_name=names,
       password=st.one_of(st.none(), st.sampled_from(["a-long-new-passphrase-9", "short"]), anything))
def test_staff_create_refuses_cleanly(world, email, role, first_name, last_name, password):
    with rolled_back():
        call_and_check(staff_create, email=email, role=role, first_name=first_name, last_name=last_name,
                       password=password)


@FUZZ_SERVICES
@given(data=st.data())
def test_checklist_evaluate_refuses_cleanly(world, data):
    codes = list(world.screening.version.codes)
    answers = data.draw(st.one_of(
        st.dictionaries(st.one_of(st.sampled_from(codes), junk_text, anything.filter(lambda v: v.__hash__)),
                        st.one_of(st.sampled_from(["yes", "no", "unsure"]), anything), max_size=len(codes) + 2),
        anything,
    ))
    with rolled_back():
        evaluation = call_and_check(checklist_evaluate, answers=answers)
        if evaluation is not None:
            assert evaluation.outcome in ("clear", "review")


@FUZZ_SERVICES
@given(data=st.data())
def test_clearance_record_refuses_cleanly(world, data):
    clinician = data.draw(st.sampled_from([world.clinician, world.front_desk, world.alice.user, None, AnonymousUser()]))
    patient = data.draw(st.sampled_from([world.alice, world.bob, world.carol]))
    with rolled_back():
        call_and_check(
            clearance_record, patient=patient, clinician=clinician, note=data.draw(st.one_of(junk_text, anything)),
            decision=data.draw(st.one_of(st.sampled_from(["cleared", "not_suitable", "more_info"]), anything)),
        )


scores = st.integers(min_value=0, max_value=3)


@FUZZ_SERVICES
@given(data=st.data())
def test_phq9_record_refuses_cleanly(world, data):
    answers = data.draw(st.one_of(
        st.lists(scores, min_size=9, max_size=9),
        st.lists(st.one_of(scores, anything), min_size=0, max_size=12),
        st.tuples(*[st.one_of(scores, st.booleans(), st.floats(0, 3))] * 9),
        anything,
    ))
    patient = data.draw(st.sampled_from([world.alice, world.bob]))
    session = data.draw(st.sampled_from([None, world.review_session, world.session]))
    with rolled_back():
        review = call_and_check(phq9_record, patient=patient, answers=answers, session=session)
        if review is not None:
            assert 0 <= review.total <= 27


@FUZZ_SERVICES
@given(data=st.data())
def test_course_book_refuses_cleanly(world, data):
    patient = data.draw(st.sampled_from([world.alice, world.bob, world.carol]))
    with rolled_back():
        call_and_check(
            course_book,
            patient=patient,
            first_day=data.draw(st.one_of(st.sampled_from([MONDAY + dt.timedelta(days=21), MONDAY]), st.dates(),
                                          anything)),
            sessions_per_week=data.draw(st.one_of(st.sampled_from([2, 3]), anything)),
            weeks=data.draw(st.one_of(st.integers(1, 6), anything)),
            start_time=data.draw(st.one_of(st.sampled_from([dt.time(10), dt.time(13, 30)]), st.times(), anything)),
            booked_by=data.draw(st.sampled_from([world.front_desk, None])),
        )


@FUZZ_SERVICES
@given(data=st.data())
def test_session_cancel_refuses_cleanly(world, data):
    session = data.draw(st.sampled_from([world.session, world.review_session]))
    with rolled_back():
        call_and_check(session_cancel, session=session,
                       by=data.draw(st.sampled_from([world.front_desk, world.clinician, None])),
                       reason=data.draw(st.one_of(junk_text, anything)))
        call_and_check(session_cancel, session=session)  # twice: the second does nothing


@FUZZ_SERVICES
@given(now=st.one_of(st.none(), st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                                             timezones=st.just(dt.UTC))))
def test_notifications_dispatch_refuses_cleanly(world, now):
    with rolled_back():
        sent = call_and_check(notifications_dispatch, now=now)
        assert sent is None or sent >= 0
