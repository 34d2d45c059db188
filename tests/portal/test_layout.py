"""The core knows no app: nothing under portal/ imports education, screening, scheduling
or any other app of the project (apps point at portal, never back). Only the URL and
settings wiring names apps, and it does so with strings, not imports."""

import ast
from pathlib import Path

from django.apps import apps

from portal.discovery import app_modules

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"


def project_apps() -> set[str]:
    """The project's own apps (folders of this repository), portal aside."""
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if (ROOT / config.name.split(".")[0]).is_dir() and config.name != "portal"
    }


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append((node.lineno, node.args[0].value))
    return names


def test_the_project_has_apps_to_look_for():
    assert {"education", "screening", "scheduling"} <= project_apps()


def test_no_module_under_portal_imports_an_app():
    forbidden = project_apps()
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        for line, name in imported_names(ast.parse(path.read_text(), filename=str(path))):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert found == []


def test_the_checker_sees_every_kind_of_import():
    source = "import scheduling.models\nfrom screening import services\nimport_module('education.panels')\n"
    assert [name for _line, name in imported_names(ast.parse(source))] == [
        "scheduling.models",
        "screening",
        "education.panels",
    ]


def test_panels_and_demo_data_are_found_in_installed_apps_order():
    order = [config.name for config in apps.get_app_configs()]
    panels = [module.__name__.rsplit(".", 1)[0] for module in app_modules("panels")]
    assert {"screening", "scheduling", "education"} <= set(panels)
    assert panels == sorted(panels, key=order.index)
    demos = [module.__name__.rsplit(".", 1)[0] for module in app_modules("demo")]
    assert demos.index("screening") < demos.index("scheduling"), "the demo patient is cleared before booking"
