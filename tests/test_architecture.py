"""The one-way architecture of DESIGN.md, checked on the import statements themselves."""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OURS = {"data", "geo", "scoring", "layers", "reports", "pages", "riskmap"}
#: Folder -> what of ours it may import: folders, or single leaf modules (``riskmap.i18n``, the
#: one translation table; ``scoring.sql``, the model's one definition of an open hazard).
ALLOWED = {
    "geo": set(),
    "data": {"geo", "scoring.sql"},
    "scoring": {"geo"},
    "layers": {"scoring", "geo"},
    "reports": {"data", "geo", "scoring", "layers", "riskmap.i18n"},
    "riskmap": {"data", "geo", "scoring", "layers", "reports"},
}
#: Modules that import nothing of ours, so that anything may import them without a cycle.
LEAVES = ("riskmap/i18n.py", "scoring/sql.py")


def imports_of(path: Path, depth: int = 1) -> set[str]:
    """The modules ``path`` imports, cut to their first ``depth`` parts (at any nesting level,
    function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {".".join(a.name.split(".")[:depth]) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(".".join(node.module.split(".")[:depth]))
    return names


def allowed(module: str, folder: str) -> bool:
    top = module.split(".")[0]
    return top not in OURS or top == folder or top in ALLOWED[folder] or module in ALLOWED[folder]


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_folders_import_only_downstream(folder):
    for path in sorted((REPO / folder).rglob("*.py")):
        found = imports_of(path, 2) | imports_of(path, 1)
        if folder != "riskmap":  # the shell serves the app; the rooms below never import streamlit
            assert "streamlit" not in found, f"{path.name} imports streamlit"
        bad = {m for m in found if not allowed(m, folder)}
        # ``from scoring.sql import …`` also reads as the module ``scoring``: a leaf allowed by
        # name clears its folder's name
        bad -= {m.split(".")[0] for m in found if m in ALLOWED[folder]}
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaf_modules_import_nothing_of_ours(leaf):
    assert not imports_of(REPO / leaf) & OURS


def test_no_import_cycle_between_modules():
    """Module-level graph of every import of ours (function-level ones included): acyclic."""
    modules = {p: ".".join(p.relative_to(REPO).with_suffix("").parts) for d in OURS - {"pages"}
               for p in (REPO / d).rglob("*.py")}
    names = {m.removesuffix(".__init__") for m in modules.values()}
    graph: dict[str, set[str]] = {}
    for path, mod in modules.items():
        mod = mod.removesuffix(".__init__")
        deps = set()
        for depth in (2, 3):
            deps |= {m for m in imports_of(path, depth) if m in names and m != mod}
        graph[mod] = deps
    seen: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for dep in graph.get(node, ()):
            if seen.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(dep):], dep]))
            if dep not in seen:
                visit(dep, [*stack, dep])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])


def test_every_page_is_short():
    """A page reads widgets, calls functions and renders: under 150 lines. The pages are the
    scripts app.py navigates to (read from its PAGES table, so a new page is counted too)."""
    app = (REPO / "app.py").read_text(encoding="utf-8")
    scripts = re.findall(r'^\s*\("(\w+)", "page_\w+"', app, flags=re.M)
    assert len(scripts) >= 10  # the table was read
    long = {s: n for s in scripts if (n := len((REPO / "pages" / "screens" / f"{s}.py").read_text().splitlines())) >= 150}
    assert not long, f"pages of 150 lines or more: {long}"
