"""The notification outbox: every message is a ``Notification`` row, written in the same
transaction as the booking, move or cancellation that causes it. Celery beat runs the
dispatcher every minute; nothing waits in Celery (no ETA, no countdown).

- ``plan``: the rows a booking, a move or a cancellation writes (``notifications_plan``,
  ``notifications_cancel``, ``notifications_review_sync``), and each patient's channel.
- ``dispatch``: ``notifications_dispatch`` claims due rows, delivers each one and marks it,
  with retries, reclaim of rows a killed worker left, and a time budget per run.
- ``render``: subjects, template context, the email (``EmailMultiAlternatives``) and the
  text message; the printable no-driving notice's context.
- ``sms``: text-message backends, chosen by settings like Django's email backends.
- ``services``: staff's resend, and the reads of the staff log.
- ``views`` and ``urls``: the staff pages under /staff/notifications/.

Session-level and course-level rows: a message about one session (reminders, the
no-driving and review notices, "session moved") has ``session`` set and ``course`` empty;
a message about the course (the booking confirmation, a "cancelled" notice) has ``course``
set and ``session`` empty, so cancelling a session cancels every unsent row of it and
spares nothing. A cancellation notice lists its sessions in ``session_ids``;
``session_sequence`` numbers a course's messages of one kind.

Channels: email when the patient has an email address (HTML and plain text, calendar
attached to messages about the course), otherwise a text message; one channel per message.
A patient's choice at /me/ (``Patient.preferred_channel``) comes first while that contact
detail exists. A patient with neither gets rows with status ``undeliverable`` that staff
see in the notification log. Clinicians' review-due notices go by email to every active
clinician.

Settings: ``NOTIFICATION_MAX_ATTEMPTS`` (5), ``NOTIFICATION_RETRY_SECONDS`` (60: first
retry; doubles each time, at most an hour), ``NOTIFICATION_RECLAIM_SECONDS`` (300),
``NOTIFICATION_BATCH_SIZE`` (200), ``NOTIFICATION_TIME_BUDGET_SECONDS`` (40: stop sending
after this; what is left of the batch goes back to pending), ``NOTIFICATION_DISPATCH_ON_COMMIT``
(True: after a booking commits, wake the dispatcher so the confirmation goes out now).
"""
