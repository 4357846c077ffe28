"""The one-way architecture of DESIGN.md, checked on the import statements themselves."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OURS = {"data", "geo", "scoring", "layers", "pages", "riskmap"}
ALLOWED = {  # folder -> our folders it may import
    "geo": set(),
    "data": {"geo"},
    "scoring": {"geo"},
    "layers": {"scoring", "geo"},
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_folders_import_only_downstream(folder):
    for path in sorted((REPO / folder).rglob("*.py")):
        found = imports_of(path)
        assert "streamlit" not in found, f"{path.name} imports streamlit"
        ours = (found & OURS) - {folder}
        assert ours <= ALLOWED[folder], f"{path.relative_to(REPO)} imports {ours - ALLOWED[folder]}"
