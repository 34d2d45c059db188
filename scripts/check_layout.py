"""Check the house rules a reader feels: small modules, short functions, no import
cycles, no private names borrowed across modules.

- no app module over 600 lines (a module that long usually holds two rooms);
- no function over 60 lines (one that no longer fits on a screen usually hides two ideas);
- no import cycle between modules, counting imports inside functions too (they only
  hide a cycle, they do not break it);
- no `from x import _name` of another module's private name.

Run `python scripts/check_layout.py`: one line per finding, exit status 1 when there
is any. Paths given on the command line replace the default apps. Migrations are skipped.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("portal", "education", "screening", "scheduling", "symptoms", "fhir_api")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def python_files(roots: list[Path]):
    for root in roots:
        if root.is_file():
            yield root
            continue
        for path in sorted(root.rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_name(path: Path) -> str:
    parts = list(path.resolve().relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def size_findings(path: Path, tree: ast.Module, source: str) -> list[str]:
    name = path.resolve().relative_to(ROOT)
    found = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{name}: module has {lines} lines (> {MAX_MODULE_LINES})")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # A decorated function starts at its first decorator, as a reader sees it.
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            length = node.end_lineno - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{first}: {node.name}() has {length} lines (> {MAX_FUNCTION_LINES})")
    return found


def imports(tree: ast.Module, module: str, known: set[str], *, is_package: bool) -> list[tuple[str, list[str], int]]:
    """(imported project module, names taken from it, line) for every import in the module."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                # `from education import pages` imports the module education.pages.
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                found.append((target, [alias.name] if target == base else [], node.lineno))
    return [(target, names, line) for target, names, line in found if target in known]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def findings(roots: list[Path]) -> list[str]:
    parsed = {}
    for path in python_files(roots):
        source = path.read_text()
        parsed[module_name(path)] = (path, source, ast.parse(source, filename=str(path)))
    known = set(parsed)
    report: list[str] = []
    graph: dict[str, set[str]] = {}
    for module, (path, source, tree) in sorted(parsed.items()):
        report += size_findings(path, tree, source)
        graph[module] = set()
        for target, names, line in imports(tree, module, known, is_package=path.name == "__init__.py"):
            if target != module:
                graph[module].add(target)
            private = [name for name in names if name.startswith("_") and not name.startswith("__")]
            if private and target != module:
                report.append(f"{path.resolve().relative_to(ROOT)}:{line}: imports {', '.join(private)} from {target}")
    report += [f"import cycle: {' <-> '.join(group)}" for group in cycles(graph)]
    return report


def main(argv: list[str]) -> int:
    roots = [Path(arg).resolve() for arg in argv] or [ROOT / app for app in APPS if (ROOT / app).exists()]
    report = findings(roots)
    print("\n".join(report) or "ok")
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
