"""Settings refuse unsafe production start-ups; production settings pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _manage(*args, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_DEBUG="0", DJANGO_SETTINGS_MODULE="portal.settings")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_an_unknown_clinic_time_zone_is_refused_by_name():
    result = _manage(
        "check", DJANGO_DEBUG="1", CLINIC_TIME_ZONE="Mars/Olympus", DJANGO_SETTINGS_MODULE="portal.settings"
    )
    assert result.returncode != 0
    assert "CLINIC_TIME_ZONE" in result.stderr


def test_a_reclaim_delay_a_live_worker_could_still_be_inside_is_refused_by_name():
    # Under the dispatch task's hard time limit (60 s), a slow but live run's claims would be
    # taken back and sent a second time.
    result = _manage("check", DJANGO_DEBUG="1", NOTIFICATION_RECLAIM_SECONDS="60",
                     DJANGO_SETTINGS_MODULE="portal.settings")
    assert result.returncode != 0
    assert "NOTIFICATION_RECLAIM_SECONDS" in result.stderr
    assert _manage("check", DJANGO_DEBUG="1", NOTIFICATION_RECLAIM_SECONDS="65",
                   DJANGO_SETTINGS_MODULE="portal.settings").returncode == 0


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
        DJANGO_ALLOWED_HOSTS="portal.clinic.example",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_cookies_use_host_prefixed_secure_names():
    code = "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='portal.settings';django.setup();from django.conf import settings as s;print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    result = _run(code, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 60)
    assert result.stdout.split() == ["__Host-sessionid", "__Host-csrftoken", "True", "True", "True"], result.stderr


def test_turning_off_the_ssl_redirect_keeps_every_other_production_setting():
    code = "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='portal.settings';django.setup();from django.conf import settings as s;print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.DEBUG)"
    result = _run(code, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 60, DJANGO_SECURE_SSL_REDIRECT="0")
    assert result.stdout.split() == ["False", "True", "True", "False"], result.stderr
