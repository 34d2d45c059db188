"""The front desk books a course, resolves a conflict and cancels one session; the
patient then downloads the calendar. axe-core checks every page on the way."""

import datetime as dt

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from portal.models import ClinicSettings
from scheduling.models import Chair, Course, OpeningHours
from scheduling.services import course_book
from tests.e2e.helpers import sign_in
from tests.factories import PatientFactory
from tests.scheduling.helpers import clear

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def next_monday() -> dt.date:
    clinic = ClinicSettings.load()
    today = dt.datetime.now(clinic.tz).date()
    return today + dt.timedelta(days=7 - today.weekday() + 7)


@pytest.fixture
def clinic_with_one_chair_free():
    clinic, _ = ClinicSettings.objects.get_or_create(pk=1)
    for weekday in range(5):
        OpeningHours.objects.update_or_create(
            clinic=clinic, weekday=weekday, defaults={"opens": dt.time(8), "closes": dt.time(18)}
        )
    Chair.objects.create(name="Chair 1", order=1)
    Chair.objects.create(name="Chair 2", order=2, active=False)
    return clinic


def test_front_desk_books_resolves_a_conflict_cancels_and_the_patient_gets_the_calendar(
    page, live_server, front_desk, patient, clinician, password, assert_accessible, clinic_with_one_chair_free,
    csp_violations,
):
    clear(patient, clinician)
    monday = next_monday()
    thursday = monday + dt.timedelta(days=3)
    # Someone else already holds the only chair on Thursday at 10:00.
    course_book(patient=clear(PatientFactory(), clinician), first_day=thursday, sessions_per_week=2, weeks=1,
                start_time=dt.time(10), slots=[(thursday, dt.time(10), None),
                                               (thursday + dt.timedelta(days=4), dt.time(15), None)])

    sign_in(page, front_desk.email, password)
    page.wait_for_url("**/staff/")
    assert_accessible(page, context="/staff/")
    page.get_by_role("link", name="Book a course").first.click()
    page.wait_for_url("**/staff/book/")
    assert_accessible(page, context="booking form")

    page.locator("#id_patient").select_option(str(patient.pk))
    page.get_by_label("First day").fill(monday.isoformat())
    page.get_by_label("Sessions a week").select_option("2")
    page.get_by_label("Number of weeks").select_option("1")
    page.get_by_label("Preferred start time").fill("10:00")
    page.get_by_label("Monday", exact=True).check()
    page.get_by_label("Thursday", exact=True).check()
    page.get_by_role("button", name="Propose sessions").click()

    expect(page.get_by_text("Some sessions have a conflict.")).to_be_visible()
    conflict = page.locator('tr[data-session="2"]')
    expect(conflict).to_have_attribute("data-ok", "false")
    assert_accessible(page, context="proposal with a conflict")

    conflict.get_by_role("radio", name="Another time that day").first.check()
    page.get_by_role("button", name="Check changes").click()
    expect(page.get_by_text("Every session fits.")).to_be_visible()
    assert_accessible(page, context="proposal resolved")
    assert not Course.objects.filter(patient=patient).exists()  # nothing written before "Book course"

    page.get_by_role("button", name="Book course").click()
    page.wait_for_url("**/staff/courses/*/")
    expect(page.get_by_text("Booked 2 sessions")).to_be_visible()
    assert_accessible(page, context="course page")

    page.locator('tr[data-session] a').first.click()
    page.wait_for_url("**/staff/sessions/*/")
    assert_accessible(page, context="session page")
    page.get_by_label("Reason for cancelling").fill("Patient unwell")
    page.get_by_role("button", name="Cancel session").click()
    expect(page.locator('dl[data-status="cancelled"]')).to_be_visible()
    assert_accessible(page, context="cancelled session")

    page.get_by_role("link", name="Day sheet").click()
    page.wait_for_url("**/staff/day/*/")
    assert_accessible(page, context="day sheet")
    page.get_by_label("Go to date").fill(thursday.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/staff/day/{thursday.isoformat()}/")
    expect(page.locator(".sheet-session")).to_have_count(2)
    page.get_by_role("link", name="Week view").click()
    assert_accessible(page, context="week view")

    page.get_by_role("link", name="Staff dashboard").click()
    page.get_by_role("button", name="Sign out").first.click()
    sign_in(page, patient.email, password)
    page.wait_for_url("**/me/")
    expect(page.locator('.my-sessions li[data-status="cancelled"]')).to_have_count(1)
    expect(page.get_by_text("Empty your bladder")).to_be_visible()
    assert_accessible(page, context="/me/ with sessions")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my sessions (.ics calendar file)").click()
    path = download_info.value.path()
    cal = Calendar.from_ical(open(path, "rb").read())
    statuses = sorted(str(event["STATUS"]) for event in cal.walk("VEVENT"))
    assert statuses == ["CANCELLED", "CONFIRMED"]
    assert cal.walk("VTIMEZONE")

    page.get_by_role("button", name="Get a subscription address").click()
    assert page.get_by_label("Private address").input_value().startswith(f"{live_server.url}/calendar/")
    assert_accessible(page, context="subscription address")
    assert not [e for e in csp_violations if "Content Security Policy" in e], csp_violations


def test_front_desk_registers_a_phoned_in_patient_and_sees_booking_errors_next_to_the_fields(
    page, front_desk, patient, clinician, password, assert_accessible, clinic_with_one_chair_free
):
    clear(patient, clinician)
    sign_in(page, front_desk.email, password)
    page.wait_for_url("**/staff/")
    page.get_by_role("link", name="Register a patient who phoned in").first.click()
    assert_accessible(page, context="register form")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_text("Enter the patient's first name").or_(page.get_by_text("This field is required")).first) \
        .to_be_visible()
    assert_accessible(page, context="register form with errors")
    page.get_by_label("First name").fill("Carla")
    page.get_by_label("Last name").fill("Cruz")
    page.get_by_label("Phone").fill("(555) 010-0142")
    page.get_by_label("Date of birth").fill("1980-04-02")
    page.get_by_role("button", name="Register patient").click()
    page.wait_for_url("**/staff/")
    expect(page.get_by_text("Carla Cruz is registered")).to_be_visible()
    assert_accessible(page, context="staff after registering")

    page.goto("/staff/book/")
    page.locator("#id_patient").select_option(str(patient.pk))
    page.get_by_label("First day").fill(next_monday().isoformat())
    page.get_by_label("Preferred start time").fill("16:00")
    page.get_by_role("button", name="Propose sessions").click()
    # Listed in the error summary and next to the field.
    expect(page.locator("[data-error-summary]").get_by_text("after the clinic closes")).to_be_visible()
    expect(page.locator("#id_start_time_error").get_by_text("after the clinic closes")).to_be_visible()
    assert page.locator("#id_patient").input_value() == str(patient.pk)  # the form is kept
    assert_accessible(page, context="booking form with an error")
