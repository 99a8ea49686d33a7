"""The architecture holds: the import-linter contracts in pyproject.toml (the engine imports no Textual, Rich or
tui; the command line no Textual; the engine's layers only downward), and no module imports itself in a cycle."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_layer_contracts_are_kept() -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


def test_no_import_cycles() -> None:
    import grimp

    graph = grimp.build_graph("engine", "tui")
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            assert not graph.chain_exists(importer=imported, imported=module), f"{module} <-> {imported}"
