"""The layers DESIGN §7 draws, read from the package's imports: each module imports only what its arrow allows."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "guarantees"
# Modules every layer may use: the app's wiring, not a layer of the domain.
INFRASTRUCTURE = {
    "guarantees", "guarantees.extensions", "guarantees.config", "guarantees.clock", "guarantees.logs",
    "guarantees.database",
}  # fmt: skip
# Which layers each layer may import (besides itself and the infrastructure).
ALLOWED = {
    "web": {"forms", "services", "repositories", "domain"},
    "forms": {"domain", "services", "repositories"},
    "cli": {"services", "legacy", "domain"},
    "services": {"adapter", "repositories", "models", "importer", "matching", "domain"},
    "adapter": {"models", "legacy_models", "domain"},
    "legacy": {"models", "legacy_models", "domain"},
    "repositories": {"models", "domain", "matching"},
    "history": {"models", "legacy_models", "domain", "repositories"},
    "importer": {"domain"},
    "matching": {"domain"},
    "models": {"domain", "legacy_models"},  # the package registers every table on the metadata
    "legacy_models": {"domain", "models"},
    "domain": set(),
}


def layer(module: str) -> str | None:
    """The layer a module of the package belongs to (None for the infrastructure)."""
    if module in INFRASTRUCTURE:
        return None
    if module == "guarantees.services.dualwrite":
        return "adapter"
    if module == "guarantees.repositories.history" or module.startswith("guarantees.repositories.history."):
        return "history"
    if module == "guarantees.models.legacy":
        return "legacy_models"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def target(module: str) -> str | None:
    """The layer a module is, to those importing it: the history is one of the repositories."""
    found = layer(module)
    return "repositories" if found == "history" else found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The package's modules that `path` imports (`from a import b` counts b when b is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    known = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name.startswith("guarantees") and name in known}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_what_its_layer_allows(path):
    own = layer(module_name(path))
    if own is None:
        return
    wrong = sorted(
        f"{name} ({target(name)})"
        for name in imports_of(path)
        if target(name) not in (None, own) and target(name) not in ALLOWED[own]
    )
    assert not wrong, f"{module_name(path)} ({own}) imports {', '.join(wrong)}"


def test_only_the_adapter_the_migration_and_the_history_read_the_legacy_tables():
    readers = {
        module_name(path)
        for path in MODULES
        if "guarantees.models.legacy" in imports_of(path) and module_name(path) != "guarantees.models"
    }
    allowed = {layer(name) for name in readers}
    assert allowed <= {"adapter", "legacy", "history", "cli"}, sorted(readers)


def test_the_rules_are_checked_against_real_imports():
    # The scanner itself: a repository importing a service would be caught.
    assert layer("guarantees.services.review") == "services"
    assert "services" not in ALLOWED["repositories"]
    assert imports_of(PACKAGE / "repositories" / "history" / "legacy.py") >= {"guarantees.models.legacy"}


def test_only_the_adapter_and_the_legacy_load_write_the_dictionaries():
    writes = re.compile(r"\b(?:Bank|Supplier)\(|(?:update|insert|delete)\((?:Bank|Supplier)\b")
    writers = {
        module_name(path)
        for path in MODULES
        if writes.search(path.read_text()) and not module_name(path).startswith("guarantees.models")
    }
    assert writers <= {"guarantees.services.dualwrite", "guarantees.legacy.load"}, sorted(writers)
