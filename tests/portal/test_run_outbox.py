"""A newcomer's first minutes (issue 16): `make run` puts every message in var/outbox/ and says
clearly when its port is taken."""

import os
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from scheduling.notifications.sms import sms_send

ROOT = Path(settings.BASE_DIR)


def test_the_file_backend_writes_each_text_message_to_the_outbox(tmp_path, settings):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "outbox")
    sms_send(to="(555) 010-0142", body="A message from Riverside Clinic\n\nHello")
    sms_send(to="(555) 010-0143", body="Second")
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 2
    assert {f.read_text() for f in files} == {
        "SMS to (555) 010-0142\n\nA message from Riverside Clinic\n\nHello\n", "SMS to (555) 010-0143\n\nSecond\n"
    }


def test_make_run_sends_email_and_texts_to_one_folder():
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert 'EMAIL_URL="${EMAIL_URL:-filemail:///$PWD/var/outbox}"' in script
    assert 'SMS_BACKEND="${SMS_BACKEND:-file}"' in script
    assert "var/outbox/" in (ROOT / "README.md").read_text()
    # As run.sh spells it, the folder is the absolute var/outbox of the checkout.
    env = dict(os.environ, DJANGO_DEBUG="1", EMAIL_URL=f"filemail:///{ROOT}/var/outbox")
    code = "import portal.settings as s; print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["django.core.mail.backends.filebased.EmailBackend", str(ROOT / "var" / "outbox")]


def test_make_run_says_when_its_port_is_taken():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(os.environ, PORT=str(port))
        result = subprocess.run(["scripts/run.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"Port {port} is already in use" in result.stderr and "make run PORT=8001" in result.stderr
