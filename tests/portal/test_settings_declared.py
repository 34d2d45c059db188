"""Every setting the code reads is declared in portal/settings.py with its default and named in
the README; settings create nothing on disk; the embedded broker's folder is made where it is
needed, so `seed_demo` run on its own can queue."""

import ast
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import global_settings

import portal.settings as project_settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
# Declared by the libraries that read them, with their own defaults.
LIBRARY_PREFIXES = ("AXES_", "OTP_", "CELERY_", "CRISPY_", "CONTENT_SECURITY_POLICY", "WHITENOISE_")


def app_sources() -> list[Path]:
    folders = {ROOT / config.name.split(".")[0] for config in apps.get_app_configs()}
    return sorted(path for folder in folders if folder.is_dir() and folder.parent == ROOT
                  for path in folder.rglob("*.py") if path.name != "settings.py")


def settings_read(tree: ast.AST) -> set[str]:
    """settings.X, getattr(settings, "X", ...) and the outbox's _setting("X", ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.isupper():
            base = node.value
            if (isinstance(base, ast.Name) and base.id == "settings") or (
                isinstance(base, ast.Attribute) and base.attr == "settings"
            ):
                names.add(node.attr)
        elif isinstance(node, ast.Call) and node.args:
            func = getattr(node.func, "id", "")
            args = node.args
            if func == "getattr" and len(args) >= 2 and getattr(args[0], "id", "") == "settings":
                if isinstance(args[1], ast.Constant):
                    names.add(args[1].value)
            elif func == "_setting" and isinstance(args[0], ast.Constant):
                names.add(args[0].value)
    return names


def code_settings() -> dict[str, str]:
    found = {}
    for path in app_sources():
        for name in settings_read(ast.parse(path.read_text(), filename=str(path))):
            found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_settings_the_code_reads():
    found = code_settings()
    assert {"CLINIC_NAME", "SITE_URL", "NOTIFICATION_MAX_ATTEMPTS", "NOTIFICATION_BATCH_SIZE"} <= set(found)
    source = 'getattr(settings, "A_X", 1)\n_setting("B_Y", 2)\nsettings.C_Z\ndjango.conf.settings.D_W\n'
    assert settings_read(ast.parse(source)) == {"A_X", "B_Y", "C_Z", "D_W"}


def test_every_setting_the_code_reads_is_declared_in_portal_settings():
    undeclared = {
        name: where
        for name, where in code_settings().items()
        if not hasattr(project_settings, name) and not hasattr(global_settings, name)
    }
    assert undeclared == {}


def test_every_project_setting_the_code_reads_is_in_the_readme():
    ours = {
        name: where
        for name, where in code_settings().items()
        if not hasattr(global_settings, name) and not name.startswith(LIBRARY_PREFIXES)
    }
    assert {name: where for name, where in ours.items() if f"`{name}`" not in README} == {}


def test_every_environment_variable_settings_read_is_in_the_readme():
    tree = ast.parse((ROOT / "portal" / "settings.py").read_text())
    variables = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "value", None) is not None
        and getattr(node.func.value, "id", "") == "env"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert "DATABASE_URL" in variables and "NOTIFICATION_BATCH_SIZE" in variables
    assert sorted(name for name in variables if f"`{name}`" not in README) == []


def _python(code: str, tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL", "DATABASE_URL"))}
    clean.update(DJANGO_DEBUG="1", DJANGO_SETTINGS_MODULE="portal.settings", **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=300)


def test_importing_the_settings_makes_no_folder(tmp_path):
    broker = tmp_path / "broker"
    result = _python("import django; django.setup()", tmp_path, CELERY_BROKER_FOLDER=str(broker),
                     DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert not broker.exists()


def test_seed_demo_run_on_its_own_queues_on_the_embedded_broker(tmp_path):
    broker = tmp_path / "broker"
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('seed_demo')\n"
    )
    result = _python(code, tmp_path, CELERY_BROKER_FOLDER=str(broker),
                     DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert "Demo data ready" in result.stdout
    assert broker.is_dir() and any(broker.iterdir()), "the booking's wake-up for the dispatcher was queued"
