"""The booking page's per-session rows are a formset (issue 12's last design point; issue 19):
a row that cannot be read is shown again as typed with its error, nothing is lost or booked,
and rows that fit stay folded behind "Change" while a row with a conflict is open."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from scheduling.models import Chair, Course
from scheduling.services import course_book
from tests.factories import PatientFactory
from tests.portal.markup import Page
from tests.scheduling.helpers import MONDAY, clear

pytestmark = pytest.mark.usefixtures("frozen", "chairs")

BOOK = reverse("scheduling:book")


def pattern(patient, **overrides):
    data = {"patient": patient.pk, "first_day": MONDAY.isoformat(), "sessions_per_week": "2", "weeks": "1",
            "start_time": "10:00", "action": "propose"}
    data.update(overrides)
    return data


def rows(*slots):
    data = {"slot-TOTAL_FORMS": str(len(slots)), "slot-INITIAL_FORMS": str(len(slots))}
    for index, (day, start, chair) in enumerate(slots):
        data.update({f"slot-{index}-date": day, f"slot-{index}-time": start, f"slot-{index}-chair": chair})
    return data


def _open_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-session="(\d+)"[^>]*>(?:(?!</tr>).)*?<details class="slot-change" open>', html, re.S)


def test_a_proposal_that_fits_folds_every_row_and_puts_book_course_beside_the_status(
    front_desk_client, cleared_patient
):
    response = front_desk_client.post(BOOK, pattern(cleared_patient, sessions_per_week="3", weeks="2"))
    html = response.content.decode()
    assert response.context["plan"].ok
    assert html.count('<details class="slot-change"') == 6 and _open_rows(html) == []
    status = html.index('id="proposal-status"')
    assert html.index('value="book"') < html.index('class="table-responsive"')
    assert html.index('data-focus-on-load') < status
    assert html.count('value="book"') == 1


def test_a_row_with_a_conflict_is_open_and_the_others_stay_folded(front_desk_client, cleared_patient, clinician):
    Chair.objects.exclude(name="Chair 1").update(active=False)
    thursday = MONDAY + dt.timedelta(days=3)
    course_book(patient=clear(PatientFactory(), clinician), first_day=thursday, sessions_per_week=2, weeks=1,
                start_time=dt.time(10), slots=[(thursday, dt.time(10), None),
                                               (thursday + dt.timedelta(days=4), dt.time(15), None)])
    response = front_desk_client.post(BOOK, pattern(cleared_patient, weekdays=["0", "3"]))
    assert _open_rows(response.content.decode()) == ["2"]


def test_a_row_without_a_date_comes_back_as_typed_with_its_error(front_desk_client, cleared_patient):
    data = {**pattern(cleared_patient, action="book"),
            **rows((MONDAY.isoformat(), "10:00", ""), ("", "11:30", ""))}
    response = front_desk_client.post(BOOK, data)
    assert response.status_code == 200
    assert not Course.objects.exists()
    page = Page(response.content.decode())
    assert page.title.startswith("Error:")
    assert page.summary_targets() == ["id_slot-1-date"]
    assert page.by_id("id_slot-1-date")["aria-invalid"] == "true"
    assert page.by_id("id_slot-1-time")["value"] == "11:30"  # what was typed is kept
    assert page.by_id("id_slot-0-date")["value"] == MONDAY.isoformat()
    assert 'value="book"' not in page.html.split('id="proposal-status"')[1].split("</div>")[0]


@pytest.mark.parametrize("tampered", [
    {"slot-TOTAL_FORMS": "1000"}, {"slot-TOTAL_FORMS": "x"}, {"slot-TOTAL_FORMS": "0"},
    {"slot-0-chair": "999999"}, {"slot-0-choice": "2026-12-07|10:00|999999"}, {"slot-0-choice": "x|y|z"},
])
def test_tampered_rows_are_refused_with_a_message_and_book_nothing(front_desk_client, cleared_patient, tampered):
    data = {**pattern(cleared_patient, action="book"),
            **rows((MONDAY.isoformat(), "10:00", ""), ((MONDAY + dt.timedelta(days=2)).isoformat(), "10:00", "")),
            **tampered}
    response = front_desk_client.post(BOOK, data)
    assert response.status_code == 200
    assert Page(response.content.decode()).title.startswith("Error:")
    assert not Course.objects.exists()


def test_an_alternative_chosen_in_a_row_replaces_it(front_desk_client, cleared_patient, chairs):
    wednesday = MONDAY + dt.timedelta(days=2)
    data = {**pattern(cleared_patient, action="book"),
            **rows((MONDAY.isoformat(), "10:00", ""), (wednesday.isoformat(), "10:00", "")),
            "slot-1-choice": f"{wednesday.isoformat()}|13:00|{chairs[1].pk}"}
    assert front_desk_client.post(BOOK, data).status_code == 302
    second = Course.objects.get().sessions.all()[1]
    assert second.chair == chairs[1]
