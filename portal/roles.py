"""Roles are groups with permissions. Other apps add their permissions here."""

from django.contrib.auth.models import Group, Permission

from portal.models import Role

# app_label.codename, per role. A missing permission (an app not migrated yet)
# is skipped; post_migrate runs again once it exists.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.PATIENT: [],
    # Front desk registers and edits patients on the staff pages, which audit each change;
    # never in the admin, where every field (the account link and email included) is open.
    Role.FRONT_DESK: [
        "scheduling.view_chair",
        "scheduling.view_course",
        "scheduling.add_course",
        "scheduling.view_session",
        "scheduling.change_session",
        "scheduling.view_notification",
        "portal.view_clinicsettings",
        "screening.view_screening",
        # Front desk records a signature the patient types on a clinic tablet.
        "screening.view_consent",
        "screening.add_consent",
    ],
    Role.CLINICIAN: [
        "portal.view_patient",
        "portal.view_auditevent",
        "scheduling.view_course",
        "scheduling.view_session",
        "scheduling.view_notification",
        "screening.view_screening",
        "screening.view_clinicalnote",
        "screening.add_clearance",
        "screening.view_clearance",
        "symptoms.view_symptomreview",
        "education.view_guide",
        "education.change_guide",
        # Editing a guide's draft: its sections and their items; revisions are read-only.
        "education.view_section",
        "education.add_section",
        "education.change_section",
        "education.delete_section",
        "education.view_item",
        "education.add_item",
        "education.change_item",
        "education.delete_item",
        "education.view_revision",
        # The consent form: clinicians draft and publish versions; signatures are read-only.
        "screening.view_consentversion",
        "screening.add_consentversion",
        "screening.change_consentversion",
        "screening.view_consent",
        "screening.add_consent",
    ],
}


def roles_sync(**kwargs):
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found:
                wanted.append(found)
        # set, not add: a permission taken out of this list is taken from the role at the next migrate.
        group.permissions.set(wanted)
