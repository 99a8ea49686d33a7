"""One place decides what a config runs as, and the CLI and the app ask it alike (issue 20: `run` with two
networks used to train only [network] while ctrl+r in the app mapped both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import apply_overrides
from engine.kinds import EXPERIMENT, LEADERBOARD, MAP, STUDY, kind_for
from tests.conftest import tiny_config


def test_kind_for_each_command() -> None:
    one = tiny_config()
    networks = apply_overrides(one, ['study.networks=["dense", "cnn"]'])
    pairs = apply_overrides(one, ["split.extra_pairs=[[0, 2]]"])
    assert [kind_for(c, "run") for c in (one, networks, pairs)] == [EXPERIMENT, MAP, EXPERIMENT]
    assert [kind_for(c, "study") for c in (one, networks, pairs)] == [STUDY, MAP, MAP]
    assert kind_for(networks, "leaderboard") is LEADERBOARD
    with pytest.raises(ValueError, match="unknown command"):
        kind_for(one, "sweep")


def test_the_cli_run_and_the_app_start_the_same_kind(monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> None:
    import tui.cli.run
    from tui.app.app import TransferApp

    config = apply_overrides(tiny_config(), ['study.networks=["dense", "cnn"]'])
    started = []
    monkeypatch.setattr(tui.cli.run, "execute", lambda kind, *args, **kwargs: started.append(kind) or 0)
    tui.cli.run.run_headless(config, model_a=None, json_path=None, save_models=False, use_cache=True, tensorboard=None)
    app = TransferApp(config, preload_engine=False)
    monkeypatch.setattr(app, "start", lambda request: started.append(request.kind))
    monkeypatch.setattr(app, "_valid_setup", lambda: config)
    app.action_start_run()
    assert started == [MAP, MAP]
