"""Staff edit a draft, preview it and publish it; patients see only published revisions."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from education.models import Item, Revision
from education.services import guide_publish
from portal.models import AuditEvent
from tests.education.helpers import GUIDE_URL, main_html, main_text

pytestmark = pytest.mark.django_db
# Revision 1 is the guide loaded with the portal; revision 2 its US spelling (education 0003).


def _edit_draft(guide, text="Bring a warm sweater; the room can be cool."):
    section = guide.sections.get(anchor="day-of-session")
    return section.items.create(kind=Item.Kind.PARAGRAPH, text=text, order=999)


def test_a_draft_change_is_not_shown_to_patients_until_published(client, guide, clinician):
    _edit_draft(guide)
    assert "warm sweater" not in main_text(client.get(GUIDE_URL))
    guide_publish(guide=guide, by=clinician)
    assert "warm sweater" in main_text(client.get(GUIDE_URL))


def test_publishing_moves_the_cached_page_on(client, guide, clinician, django_assert_num_queries):
    client.get(GUIDE_URL)
    with django_assert_num_queries(0):
        client.get(GUIDE_URL)
    _edit_draft(guide)
    guide_publish(guide=guide, by=clinician)
    with django_assert_num_queries(3):
        assert "warm sweater" in main_text(client.get(GUIDE_URL))


def test_the_revision_history_records_who_published_what_and_when(guide, clinician):
    _edit_draft(guide)
    with time_machine.travel("2026-03-02 15:30:00Z", tick=False):
        revision = guide_publish(guide=guide, by=clinician)
    assert revision.number == 3
    assert revision.published_by == clinician
    assert revision.published_at == timezone.now().replace(
        year=2026, month=3, day=2, hour=15, minute=30, second=0, microsecond=0
    )
    assert "The day of your session" in revision.changes
    assert list(guide.revisions.history().values_list("number", flat=True)) == [3, 2, 1]
    guide.refresh_from_db()
    assert guide.published_revision == revision
    assert AuditEvent.objects.filter(action="guide_published", actor=clinician, object_id=str(revision.pk)).exists()


def test_a_published_revision_is_an_immutable_snapshot(guide, clinician):
    revision = guide_publish(guide=guide, by=clinician)
    item = _edit_draft(guide)
    revision.refresh_from_db()
    assert "warm sweater" not in str(revision.content)
    revision.changes = "rewritten"
    with pytest.raises(ValidationError):
        revision.save()
    with pytest.raises(ValidationError):
        revision.delete()
    assert Revision.objects.filter(pk=revision.pk).exists()
    assert item.pk


def test_a_staff_typed_script_is_never_served(client, guide, clinician):
    _edit_draft(guide, text='Hello <script>alert("x")</script> <a href="javascript:alert(1)" onclick="x()">there</a>')
    guide_publish(guide=guide, by=clinician)
    content = client.get(GUIDE_URL).content.decode()
    assert "<script" not in content
    assert "alert" not in content
    assert "javascript:" not in content
    assert "onclick" not in content


def test_the_admin_refuses_a_script_with_a_message_staff_can_act_on(guide):
    item = Item(section=guide.sections.first(), text="Hi <script>alert(1)</script>")
    with pytest.raises(ValidationError) as caught:
        item.full_clean()
    assert "the <script> tag is not allowed" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<b>bold", "opened but never closed"),
        ('<span style="color:red">x</span>', "the <span> tag is not allowed"),
        ('<a href="https://example.org" onclick="x()">x</a>', "the onclick attribute"),
        ("For {driving_hours} hours", "{driving_hours} is not a value the guide knows"),
    ],
)
def test_the_admin_refuses_broken_or_unsafe_markup(guide, text, problem):
    item = Item(section=guide.sections.first(), text=text)
    with pytest.raises(ValidationError) as caught:
        item.full_clean()
    assert problem in str(caught.value)


def test_plain_markdown_is_accepted(guide):
    Item(section=guide.sections.first(), text="**Bring** a [list](https://example.org) of medicines.").full_clean()


def test_only_staff_allowed_to_edit_guides_can_publish(guide, front_desk, patient):
    for user in (front_desk, patient.user):
        with pytest.raises(PermissionDenied):
            guide_publish(guide=guide, by=user)
    assert guide.revisions.count() == 2


def test_publishing_a_guide_with_an_empty_section_is_refused_and_changes_nothing(guide, clinician):
    guide.sections.create(anchor="empty", heading="Empty section", order=5)
    with pytest.raises(ValidationError, match="Empty section"):
        guide_publish(guide=guide, by=clinician)
    assert guide.revisions.count() == 2


class TestAdmin:
    def test_a_clinician_previews_the_draft_and_publishes_it(self, clinician_client, client, guide):
        _edit_draft(guide)
        preview = clinician_client.get(f"/admin/education/guide/{guide.pk}/preview/")
        assert preview.status_code == 200
        assert "Draft preview." in preview.content.decode()
        assert "warm sweater" in main_text(preview)
        response = clinician_client.post(f"/admin/education/guide/{guide.pk}/publish/", follow=True)
        assert "revision 3 is published" in response.content.decode()
        guide.refresh_from_db()
        assert guide.published_revision.number == 3
        client.logout()
        assert "warm sweater" in main_text(client.get(GUIDE_URL))

    def test_the_publish_action_publishes_the_selected_guides(self, clinician_client, guide):
        _edit_draft(guide)
        clinician_client.post(
            "/admin/education/guide/", {"action": "publish_selected", "_selected_action": [guide.pk]}, follow=True
        )
        guide.refresh_from_db()
        assert guide.published_revision.number == 3

    def test_saving_an_item_with_a_script_in_the_admin_shows_the_problem(self, clinician_client, guide):
        section = guide.sections.get(anchor="after-session")
        url = f"/admin/education/section/{section.pk}/change/"
        items = list(section.items.all())
        data = {
            "guide": guide.pk,
            "order": section.order,
            "anchor": section.anchor,
            "heading": section.heading,
            "kind": section.kind,
            "items-TOTAL_FORMS": len(items) + 1,
            "items-INITIAL_FORMS": len(items),
            "items-MIN_NUM_FORMS": 0,
            "items-MAX_NUM_FORMS": 1000,
        }
        for i, item in enumerate(items):
            data.update(
                {
                    f"items-{i}-id": item.pk,
                    f"items-{i}-section": section.pk,
                    f"items-{i}-order": item.order,
                    f"items-{i}-kind": item.kind,
                    f"items-{i}-text": item.text,
                    f"items-{i}-term": item.term,
                    f"items-{i}-expansion": item.expansion,
                }
            )
        n = len(items)
        data.update(
            {
                f"items-{n}-section": section.pk,
                f"items-{n}-order": 500,
                f"items-{n}-kind": "point",
                f"items-{n}-text": "<script>alert(1)</script>",
                f"items-{n}-term": "",
                f"items-{n}-expansion": "",
            }
        )
        response = clinician_client.post(url, data)
        assert response.status_code == 200
        assert "the &lt;script&gt; tag is not allowed" in response.content.decode()
        assert not section.items.filter(text__contains="script").exists()

    def test_a_patient_cannot_reach_the_preview(self, patient_client, guide):
        response = patient_client.get(f"/admin/education/guide/{guide.pk}/preview/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

    def test_front_desk_cannot_publish(self, front_desk_client, guide):
        response = front_desk_client.post(f"/admin/education/guide/{guide.pk}/publish/")
        assert response.status_code == 403
        assert guide.revisions.count() == 2

    def test_the_preview_is_not_cached_for_patients(self, clinician_client, client, guide):
        _edit_draft(guide)
        clinician_client.get(f"/admin/education/guide/{guide.pk}/preview/")
        assert "warm sweater" not in main_html(client.get(GUIDE_URL))
