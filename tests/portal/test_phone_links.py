"""Every phone number is a tel: link that never breaks mid-number (issue 16)."""

from pathlib import Path

from django.conf import settings

from portal.templatetags.phone_links import link_phone_numbers


def test_numbers_in_text_become_tel_links_and_nothing_else_changes():
    html = ('<p>Call (555) 010-0100. In an emergency, call 911; or text 988.</p>'
            '<input value="(555) 010-0100"><a href="tel:911">911</a><p>2026-12-07 at 10:00, revision 9880</p>')
    assert link_phone_numbers(html) == (
        '<p>Call <a class="tel" href="tel:+15550100100">(555) 010-0100</a>. In an emergency, call '
        '<a class="tel" href="tel:911">911</a>; or text <a class="tel" href="tel:988">988</a>.</p>'
        '<input value="(555) 010-0100"><a href="tel:911">911</a><p>2026-12-07 at 10:00, revision 9880</p>'
    )


def test_linking_twice_changes_nothing_more():
    once = link_phone_numbers("<p>Call 555-010-0100 or 988.</p>")
    assert link_phone_numbers(once) == once


def test_a_tel_link_never_wraps():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "portal.css").read_text()
    assert ".tel { white-space: nowrap; }" in css


def test_the_patient_emails_link_their_numbers(client):
    from django.template.loader import render_to_string

    html = render_to_string("scheduling/notifications/reminder.html", {
        "clinic_phone": "(555) 010-0100", "patient": {"first_name": "Al"}, "start_text": "10:00 AM", "me_url": "x",
        "subject": "S", "heading": "H", "clinic_name": "C", "course_sessions": [],
    })
    assert 'href="tel:+15550100100"' in html and 'href="tel:988"' in html and 'href="tel:911"' in html
    assert "white-space: nowrap" in html
