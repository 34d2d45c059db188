"""Form markup from crispy-forms is valid HTML with its errors tied to their fields."""

from crispy_forms.utils import render_crispy_form

from portal.forms import InvitationAcceptForm


def test_a_field_error_block_has_valid_attributes_and_is_described_by_the_field(db):
    form = InvitationAcceptForm({"password1": "a-long-passphrase-1", "password2": "something-else-22"})
    assert not form.is_valid()
    html = render_crispy_form(form)
    assert 'id="id_password2_error" class="invalid-feedback"' in html
    assert '"class=' not in html
    assert 'aria-describedby="id_password2_error"' in html
