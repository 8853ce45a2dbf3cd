"""The layers hold: platform imports nothing of the product, records only the platform, a domain never an entry
point, an API route module never another route module, and a Lambda function never another function. Read
from every product module's imports, those inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.functions import handler_packages

ROOT = Path(__file__).resolve().parents[2]
# Every function template.yaml deploys, so a new one cannot be left out.
FUNCTIONS = handler_packages()


def product_modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the layer (shared/) and of every function."""
    roots = [ROOT / "shared", *(ROOT / "functions" / name for name in FUNCTIONS)]
    modules = {}
    for root in roots:
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = product_modules()
IMPORTS = {module: {name for name in imports_of(path) if name in MODULES} for module, path in MODULES.items()}


def violations(importer: str, allowed: tuple[str, ...]) -> dict[str, set[str]]:
    """Product modules under `importer` that import a product module outside `allowed` prefixes."""
    return {module: bad for module, names in IMPORTS.items() if module.startswith(importer)
            if (bad := {name for name in names if not name.startswith(allowed)})}


def test_the_platform_imports_nothing_of_the_product():
    assert violations("crm.platform", ("crm.platform",)) == {}


def test_records_import_only_the_platform():
    assert violations("crm.records", ("crm.platform", "crm.records")) == {}


def test_domains_never_import_an_entry_point():
    # Given the layer's modules, which every function ships
    # Then none imports a function's package: the layer must work inside any function
    assert violations("crm", ("crm",)) == {}


def test_no_api_route_module_imports_another():
    routes = {module for module in MODULES if module.startswith("api.routes.")}
    assert routes, "the route modules moved: update this test"
    assert {module: IMPORTS[module] & routes for module in routes if IMPORTS[module] & routes} == {}


def test_no_function_imports_another_function():
    crossing = {module: {name for name in names if name.split(".")[0] in FUNCTIONS
                         and name.split(".")[0] != module.split(".")[0]}
                for module, names in IMPORTS.items() if module.split(".")[0] in FUNCTIONS}
    assert {module: names for module, names in crossing.items() if names} == {}
