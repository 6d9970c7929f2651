"""Layers point one way: `core` is plumbing and imports no domain app.

Read from the source (as Zulip's lint rules are), so that an import inside a function, a
relative import or a dotted path handed to `import_string` fails as surely as one at the top.
Domain apps offer what they have to `core` from their `AppConfig.ready()` instead.
"""

import ast
import re
from pathlib import Path

import caresight

DOMAIN_APPS = ("accounts", "registry", "returns", "outbreaks", "risk", "grants", "plans",
               "governance", "workforce", "beds", "dashboards", "reports", "notifications", "demo")
PACKAGE = Path(caresight.__file__).parent
CORE = PACKAGE / "core"
DOTTED = re.compile(rf"^caresight\.({'|'.join(DOMAIN_APPS)})(\.|$)")

# Being moved in issue 13 (by the tenancy, import and table layers): delete each entry once
# its module no longer imports a domain app. Nothing else may join this list.
KNOWN_OFFENDERS = {
    "tenancy.py",
}


def _core_modules() -> list[Path]:
    return sorted(path for path in CORE.rglob("*.py")
                  if not {"tests", "migrations"} & set(path.relative_to(CORE).parts))


def _module_name(path: Path) -> str:
    parts = ["caresight", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def domain_imports(path: Path, module: str | None = None) -> list[str]:
    """Every domain module this file imports: at the top, in functions, relatively, or by a
    dotted path in a string (for import_string / import_module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        found += [f"{name} (line {node.lineno})" for name in names if DOTTED.match(name)]
    return found


def test_core_imports_no_domain_app():
    offenders = {path.relative_to(CORE).as_posix(): domain_imports(path)
                 for path in _core_modules()}
    offenders = {name: found for name, found in offenders.items() if found}
    new = {name: found for name, found in offenders.items() if name not in KNOWN_OFFENDERS}
    assert new == {}, "core imports domain apps; register through core instead"
    # The list is only of modules still being moved: one that is clean must leave it.
    assert set(offenders) == KNOWN_OFFENDERS


def test_the_check_finds_imports_anywhere_in_a_module(tmp_path):
    module = tmp_path / "example.py"
    module.write_text("import caresight.core.audit\n"
                      "def f():\n    from caresight.registry.models import Location\n"
                      "from .. import risk\n"
                      "PATH = 'caresight.grants.letters.letters_job'\n"
                      "import caresight.returns\n", encoding="utf-8")
    found = {f.split(" (")[0] for f in domain_imports(module, "caresight.core.example")}
    assert found == {"caresight.registry.models", "caresight.registry.models.Location",
                     "caresight.risk", "caresight.grants.letters.letters_job",
                     "caresight.returns"}


def test_no_app_imports_the_demo():
    users = {path.relative_to(PACKAGE).as_posix()
             for path in PACKAGE.rglob("*.py")
             if "demo" not in path.relative_to(PACKAGE).parts and path != Path(__file__)
             and any(name.startswith("caresight.demo")
                     for name in (f.split(" (")[0] for f in domain_imports(path)))}
    assert users == set()
