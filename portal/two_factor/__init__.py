"""Two-step sign-in for clinic staff: an authenticator app (TOTP) and one-time recovery codes.

Front-desk staff, clinicians and superusers see patients' health information, so a password
alone does not let them in. django-otp keeps the devices; this module holds the rules:

- A staff account gets a grace period (settings.STAFF_TWO_FACTOR_GRACE_HOURS, from its first
  sign-in) to set up an app, as GitLab and Google Workspace enrolment periods do. The
  dashboard says until when. After it, the account can reach nothing but the set-up page.
- Once an app is set up, every sign-in asks for a code from it, or for a recovery code (each
  works once), before any other page.
- Every step (set up, verified, wrong code, recovery code used, new codes made) is audited.

The enforcement is StaffTwoFactorMiddleware (portal.middleware), which asks `services.state()`.

- `services`: the rules above (state, grace, set-up link, set-up, verify, reset), audited.
- `devices`: the app and recovery-code devices, how keys and codes are shown and stored.
- `forms`, `views`: the pages under /accounts/two-factor/.
"""
