"""The house rules of issue 12, checked on the whole tree by scripts/check_layout.py:
no app module over 600 lines, no function over 60, no import cycle, no private
names borrowed across modules."""

import importlib.util
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_layout", ROOT / "scripts" / "check_layout.py")
check_layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layout)

def test_the_tree_keeps_the_house_rules():
    found = set(check_layout.findings([ROOT / app for app in check_layout.APPS if (ROOT / app).exists()]))
    assert found == set()


def _app(tmp_path, monkeypatch, files: dict[str, str]) -> list[str]:
    monkeypatch.setattr(check_layout, "ROOT", tmp_path)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return check_layout.findings([tmp_path / "app"])


def test_it_finds_a_cycle_hidden_in_a_function(tmp_path, monkeypatch):
    found = _app(tmp_path, monkeypatch, {
        "app/__init__.py": "",
        "app/pages.py": "def preview():\n    from app.services import snapshot\n",
        "app/services.py": "from app import pages\n",
        "app/views.py": "from app import pages, services\n",
    })
    assert found == ["import cycle: app.pages <-> app.services"]


def test_it_finds_a_borrowed_private_name(tmp_path, monkeypatch):
    found = _app(tmp_path, monkeypatch, {
        "app/__init__.py": "",
        "app/planning.py": "def _check():\n    pass\n",
        "app/services.py": "from app.planning import _check\nfrom .planning import __doc__\n",
    })
    assert found == ["app/services.py:1: imports _check from app.planning"]


def test_it_finds_long_functions_and_modules(tmp_path, monkeypatch):
    long_body = "".join(f"    x{n} = {n}\n" for n in range(60))
    found = _app(tmp_path, monkeypatch, {
        "app/__init__.py": "",
        "app/short.py": "def fits():\n" + "".join(f"    x{n} = {n}\n" for n in range(59)),
        "app/long.py": "@staticmethod\ndef too_long():\n" + long_body,
        "app/big.py": "x = 1\n" * 601,
    })
    assert found == ["app/big.py: module has 601 lines (> 600)", "app/long.py:1: too_long() has 62 lines (> 60)"]
