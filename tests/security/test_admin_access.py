"""The Django admin, every one of its URL patterns: anonymous visitors and patients are
sent to the admin sign-in and see nothing; front desk and clinicians get 403 on the
models their role has no permission to view."""

import pytest

from tests.security.world import all_routes, db_fingerprint, fill, fingerprint_diff, is_refused, shows_alice

ADMIN_ROUTES = sorted(route for route in all_routes() if route.startswith("admin/"))


def _values(pattern, world) -> dict:
    model_admin = getattr(pattern.callback, "model_admin", None)
    model = model_admin.model if model_admin else None
    obj = model.objects.order_by("pk").first() if model is not None else None
    from django.contrib.contenttypes.models import ContentType

    from portal.models import Patient

    pk = obj.pk if obj is not None else world.alice.pk
    return {
        "object_id": pk, "id": pk, "pk": pk,
        "content_type_id": ContentType.objects.get_for_model(Patient).pk,
        "app_label": "portal", "url": "nothing-here/",
    }


def _admin_url(route, world):
    pattern = all_routes()[route]
    return fill(route, _values(pattern, world)), pattern


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_admin_pages_are_closed_to_visitors_and_patients(world, route):
    url, _ = _admin_url(route, world)
    for role in ("anonymous", "patient", "other_patient"):
        client = world.client(role)
        response = client.get(url)
        if route in ("admin/login/", "admin/logout/") or route.endswith("jsi18n/"):
            assert response.status_code < 500
        else:
            assert is_refused(response), f"GET {url} as {role}: {response.status_code}"
        if role != "patient":  # the admin sign-in tells Alice her own email
            assert not shows_alice(response), f"GET {url} as {role}"
        before = db_fingerprint()
        response = client.post(url, {"first_name": "Mallory", "post": "yes"})
        assert response.status_code < 500
        if role != "patient":
            assert not shows_alice(response), f"POST {url} as {role}"
        assert not fingerprint_diff(before, db_fingerprint()), f"POST {url} as {role}"


@pytest.mark.parametrize("route", [r for r in ADMIN_ROUTES if r.endswith("/change/")])
def test_admin_change_pages_need_the_roles_view_permission(world, route):
    url, pattern = _admin_url(route, world)
    model = pattern.callback.model_admin.model
    label = f"{model._meta.app_label}.view_{model._meta.model_name}"
    change = f"{model._meta.app_label}.change_{model._meta.model_name}"
    for role in ("front_desk", "clinician"):
        user = world.users[role]
        response = world.client(role).get(url)
        assert response.status_code < 500
        if not (user.has_perm(label) or user.has_perm(change)):
            assert response.status_code in (403, 302, 404), f"{role} reached {url}: {response.status_code}"
