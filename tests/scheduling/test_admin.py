import datetime as dt

import pytest
from django.urls import reverse

from portal.models import ClinicSettings
from scheduling.services import course_book
from tests.scheduling.helpers import MONDAY

pytestmark = pytest.mark.usefixtures("frozen", "chairs")


def test_the_admin_shows_clinic_settings_with_opening_hours_and_closed_days(admin_client, clinic):
    response = admin_client.get(reverse("admin:portal_clinicsettings_change", args=[clinic.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Opening hours" in html or "opening hours" in html
    assert "Closed day" in html or "closed day" in html
    assert 'name="recovery_minutes"' in html and 'name="min_clear_days"' in html


def test_a_closed_day_added_in_the_admin_is_saved(admin_client, clinic):
    url = reverse("admin:portal_clinicsettings_change", args=[clinic.pk])
    hours = list(clinic.opening_hours.all())
    data = {
        "time_zone": "America/New_York", "infusion_minutes": "60", "recovery_minutes": "120", "min_clear_days": "1",
        "reminder_lead_hours": "24", "morning_reminder_time": "07:00", "no_driving_hours": "12",
        "alert_escalation_hours": "4",
        "opening_hours-TOTAL_FORMS": str(len(hours)), "opening_hours-INITIAL_FORMS": str(len(hours)),
        "opening_hours-MIN_NUM_FORMS": "0", "opening_hours-MAX_NUM_FORMS": "7",
        "closed_days-TOTAL_FORMS": "1", "closed_days-INITIAL_FORMS": "0",
        "closed_days-MIN_NUM_FORMS": "0", "closed_days-MAX_NUM_FORMS": "1000",
        "closed_days-0-date": "2026-12-25", "closed_days-0-reason": "Christmas",
    }
    for i, row in enumerate(hours):
        data.update({f"opening_hours-{i}-id": str(row.pk), f"opening_hours-{i}-clinic": str(clinic.pk),
                     f"opening_hours-{i}-weekday": str(row.weekday), f"opening_hours-{i}-opens": "08:00",
                     f"opening_hours-{i}-closes": "18:00"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ClinicSettings.load().closed_days.filter(date=dt.date(2026, 12, 25), reason="Christmas").exists()


def test_courses_and_sessions_are_read_only_in_the_admin(admin_client, cleared_patient):
    course = course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=2, weeks=1,
                         start_time=dt.time(10))
    session = course.sessions.first()
    for name in ("scheduling_course_changelist", "scheduling_session_changelist", "scheduling_chair_changelist"):
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200
    assert admin_client.get(reverse("admin:scheduling_course_change", args=[course.pk])).status_code == 200
    page = admin_client.get(reverse("admin:scheduling_session_change", args=[session.pk])).content.decode()
    assert 'name="start"' not in page
    assert admin_client.get(reverse("admin:scheduling_session_add")).status_code == 403
