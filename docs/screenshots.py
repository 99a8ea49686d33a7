"""Draw the README's pictures of the app with the app itself (Textual's save_screenshot), from the same fixed
numbers the snapshot tests use, so the pictures change when the app does:

    python docs/screenshots.py          # writes docs/images/*.svg
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "images"
sys.path.insert(0, str(REPO))


async def shoot(name: str, size: tuple[int, int], prepare) -> None:
    """Start the app without its engine, let `prepare(pilot)` bring it to the view, save that view as SVG."""
    from tests.test_snapshots import offline_app

    app = offline_app()
    async with app.run_test(size=size) as pilot:
        app.sub_title = "CPU"
        await prepare(pilot)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(IMAGES))
    print(f"wrote {IMAGES / name}.svg")


async def setup(pilot) -> None:
    await pilot.pause()


async def progress(pilot) -> None:
    from tests.test_snapshots import replay_first_phases

    pilot.app.action_show("run")
    await pilot.pause()
    replay_first_phases(pilot.app)
    run = pilot.app.get_screen("run")
    run.query_one("#progress #eta").styles.visibility = "hidden"
    run._show_curves_if_changed()


async def results(pilot) -> None:
    from engine.results.experiment import ExperimentResult
    from tests.test_snapshots import fixed_result

    fixed = fixed_result()
    one_pair = ExperimentResult(
        {**fixed.config, "split": {"b_classes": [5, 6], "n_train_b": 200}}, fixed.seeds_of((5, 6)), "finished", "CPU"
    )
    pilot.app.get_screen("results").show_result(one_pair, run_dir=Path("/runs/x"))
    pilot.app.action_show("results")


async def transfer_map(pilot) -> None:
    from engine.kinds import MAP
    from tests.test_snapshots import _map_result

    pilot.app.show_result(MAP, _map_result(), Path("/runs/x"))
    await pilot.pause()
    await pilot.press("down")


async def optimizers(pilot) -> None:
    from tests.test_snapshots import fixed_leaderboard

    pilot.app.action_show("leaderboard")
    await pilot.pause()
    pilot.app.get_screen("leaderboard").show_result(fixed_leaderboard(), caption="Finished: task A (8 classes)")


SHOTS = {
    "setup": ((100, 30), setup),
    "progress": ((100, 30), progress),
    "results": ((100, 36), results),
    "map": ((100, 50), transfer_map),
    "optimizers": ((100, 30), optimizers),
}


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    os.environ["TRANSFER_TUI_HOME"] = tempfile.mkdtemp(prefix="screenshots-")  # an empty run store
    for name, (size, prepare) in SHOTS.items():
        asyncio.run(shoot(name, size, prepare))


if __name__ == "__main__":
    main()
