"""The package's layers hold: each folder imports only the folders below it, only the MkDocs
adapter imports MkDocs, and no module grows past 700 lines (see ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "reflib"

LAYERS = {
    "core": 0,
    "convert": 1, "fetch": 1, "lookup": 1,
    "checks": 2,
    "site": 3, "workflow": 3,
    "engines": 4,
    "cli": 5,
}
"""Each folder of the package and its layer: a folder imports only from lower layers (and
from itself); folders on the same layer do not import each other."""

ENGINE_PACKAGES = {"mkdocs": "engines.mkdocs", "material": "engines.mkdocs",
                   "properdocs": "engines.mkdocs", "zensical": "engines.zensical"}
"""Third-party site engines and the only folder that may import each."""

MAX_LINES = 700
TOP_LEVEL = {"__init__.py", "__main__.py"}


def _modules(package: Path = PACKAGE) -> list[tuple[str, Path]]:
    out = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out.append((".".join(parts), path))
    return out


def _imports(path: Path, package_dir: Path = PACKAGE) -> list[tuple[int, str]]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(package_dir.parent).with_suffix("")
    package = list(rel.parts[:-1])  # a module's package; for __init__, the package itself
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            # ``from reflib.site import build`` imports reflib.site.build
            out += [(node.lineno, f"{name}.{alias.name}") for alias in node.names
                    if name.startswith("reflib")]
    return out


def _group(module: str) -> str | None:
    """The layer folder of ``reflib.<folder>...`` (None for the package's top)."""
    parts = module.split(".")
    if parts[0] != "reflib" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def test_every_folder_has_a_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS), "a new folder of the package needs a layer in LAYERS"


def layer_violations(package: Path = PACKAGE) -> list[str]:
    """Every import against :data:`LAYERS` in ``package``, as ``file:line: what``."""
    problems = []
    for module, path in _modules(package):
        group = _group(f"reflib.{module}")
        if group is None:
            continue
        for line, name in _imports(path, package):
            target = _group(name)
            if target is None or target == group:
                continue
            if LAYERS[target] >= LAYERS[group]:
                problems.append(f"{path.relative_to(package)}:{line}: {group} (layer "
                                f"{LAYERS[group]}) imports {name} ({target}, layer "
                                f"{LAYERS[target]})")
    return problems


def test_folders_import_only_the_layers_below() -> None:
    problems = layer_violations()
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


def test_only_the_adapters_import_their_engine() -> None:
    problems = []
    for module, path in _modules():
        for line, name in _imports(path):
            top = name.split(".")[0]
            owner = ENGINE_PACKAGES.get(top)
            if owner is not None and not module.startswith(owner):
                problems.append(f"{path.relative_to(PACKAGE)}:{line}: imports {name}; only "
                                f"reflib.{owner} may")
    assert not problems, "\n".join(problems)


def test_no_module_is_over_the_size_limit() -> None:
    big = {str(path.relative_to(PACKAGE)): n for _, path in _modules()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_the_top_of_the_package_holds_only_its_entry_points() -> None:
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL


def test_the_rules_catch_an_upward_and_a_sideways_import(tmp_path: Path) -> None:
    """The checker itself, on a package made for it: an import from a higher layer and one
    from a folder on the same layer are found, with file and line; a lower one is not."""
    package = tmp_path / "reflib"
    for folder in ("core", "site", "convert", "fetch"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "core" / "a.py").write_text("import json\n\nfrom reflib.site import build\n")
    (package / "convert" / "b.py").write_text("from ..fetch import http\n")
    (package / "site" / "c.py").write_text("from reflib.core import a\nfrom . import d\n")
    problems = layer_violations(package)
    assert problems == [
        "convert/b.py:1: convert (layer 1) imports reflib.fetch (fetch, layer 1)",
        "convert/b.py:1: convert (layer 1) imports reflib.fetch.http (fetch, layer 1)",
        "core/a.py:3: core (layer 0) imports reflib.site (site, layer 3)",
        "core/a.py:3: core (layer 0) imports reflib.site.build (site, layer 3)",
    ]
