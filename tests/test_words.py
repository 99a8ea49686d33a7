"""Counted words read as English at every count: '1 seed', '2 seeds', 'both seeds', never '1 seeds' or '(s)'."""

from __future__ import annotations

from engine.results.study import StudyCell, StudyResult
from engine.results.words import every, plural


def test_plural_and_every() -> None:
    assert [plural(n, "seed") for n in (0, 1, 2)] == ["0 seeds", "1 seed", "2 seeds"]
    assert plural(1, "loss", "losses") == "1 loss" and plural(3, "loss", "losses") == "3 losses"
    assert [every(n, "seed") for n in (1, 2, 5)] == ["its one seed", "both seeds", "all 5 seeds"]


def test_a_sweep_over_two_seeds_says_both() -> None:
    config = {"run": {"seeds": [1, 2]}, "network": {"kind": "dense"}, "split": {"b_classes": [5, 6]}}
    cells = [StudyCell("AnB", 1, {1: 0.99, 2: 0.98})]
    reading = " ".join(StudyResult(config, cells, {1: 0.9, 2: 0.91}, {1: 0.8, 2: 0.8}, "finished", "CPU").reading())
    assert "beats baseB in both seeds at n = 1" in reading and "in all 2 seeds" not in reading
    assert "over 2 seeds." in reading


def test_both_models_at_chance_level_are_said_to_be_and_no_difference_is_read() -> None:
    from engine.results.experiment import SeedResult, summarise

    # Pullover vs Coat after one epoch, as a new user ran it
    verdict = summarise([SeedResult(42, (2, 4), 0.7, 0.5125, 0.5000, {})]).verdict
    assert verdict.startswith("Both models are at chance level (B from scratch 51.25%, B on A 50.00%")
    assert "50% ± 2.2 points on 2,000 balanced test images" in verdict and "trailed" not in verdict
    one = summarise([SeedResult(42, (2, 4), 0.7, 0.90, 0.505, {})]).verdict
    assert one.startswith("One seed only: transfer trailed scratch by 39.50 points")
    assert "B on A is at chance level (50.50%" in one


def test_a_model_below_chance_is_said_to_have_broken_down() -> None:
    from engine.results.experiment import SeedResult, summarise

    # B on A at 23.55% and 37.20% on a binary task (bfloat16, as a new user saw it), B from scratch fine
    seeds = [SeedResult(1, (5, 6), 0.8, 0.95, 0.2355, {}), SeedResult(2, (5, 6), 0.8, 0.96, 0.372, {}),
             SeedResult(3, (5, 6), 0.8, 0.94, 0.90, {})]  # fmt: skip
    verdict = summarise(seeds).verdict
    assert (
        "B on A is below chance level in 2 of 3 seeds (23.55%, 37.20%; guessing scores 50%): worse than guessing "
        "means it broke down (a diverged or inverted model)" in verdict
    )
    assert "B from scratch is below" not in verdict
    fine = summarise([SeedResult(1, (5, 6), 0.8, 0.95, 0.478, {}), SeedResult(2, (5, 6), 0.8, 0.96, 0.93, {})])
    assert "below chance" not in fine.verdict  # 47.8%: within the band of guessing, not below it


def test_the_error_ratio_is_explained_where_it_is_shown() -> None:
    import io

    from rich.console import Console

    from engine.results.experiment import ExperimentResult, SeedResult
    from tui.render.runs import report

    config = {"run": {"seeds": [1]}, "split": {"b_classes": [5, 6], "n_train_b": 200, "extra_pairs": []}}
    result = ExperimentResult(config, [SeedResult(1, (5, 6), 0.8, 0.95, 0.96, {})], "finished", "CPU")
    console = Console(file=io.StringIO(), width=100, record=True)
    for part in report(result):
        console.print(part)
    shown = " ".join(console.export_text().split())
    assert "Err. ratio" in shown and "Err. ratio: B from scratch's test errors over B on A's" in shown


def test_an_interval_wider_than_the_scale_is_called_too_wide_and_kept_whole() -> None:
    from engine.results.experiment import SeedResult, summarise

    seeds = [SeedResult(1, (7, 9), 0.78, 0.8975, 0.512, {}), SeedResult(2, (7, 9), 0.77, 0.9155, 0.378, {})]
    verdict = summarise(seeds).verdict
    assert "with 2 seeds the 95% interval (-142.72 to +50.42) is wider than the whole accuracy scale" in verdict
    assert "too wide to read" in verdict and "95% CI" not in verdict


def test_the_command_line_names_what_it_refuses() -> None:
    from engine.config import parse_pairs
    from engine.errors import ConfigError
    from tui.main import main

    assert parse_pairs(["sandal,shirt", "Ankle-boot,Bag", "sandals,5"]) == ((5, 6), (9, 8), (5, 5))
    try:
        parse_pairs(["shoes,6"])
    except ConfigError as exc:
        assert "class pairs look like 5,6 or sandal,shirt (a class is 0-9 or one of t-shirt/top," in str(exc)
    for args, message in (
        (["config", "--b-classes", "5,6", "5,6"], "--b-classes repeats the pair 5,6"),
        (["study", "--layers", "3-1"], "--layers must count upward in a range: 1-3, not 3-1"),
        (["study", "--layers", "a-b"], "--layers must look like 0-5 or 0,1,3; cannot read 'a-b'"),
        (
            ["config", "--set", 'study.networks=[{kind="rnn"}]'],
            "study.networks entries are a preset's name, dense, or a network table of kind dense or cnn; got kind "
            "'rnn'",
        ),
    ):
        import contextlib
        import io

        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            assert main(args) == 2
        assert stderr.getvalue() == f"transfer-tui: error: {message}\n", args


def test_ray_advice_about_its_own_flags_is_put_in_this_tools_words() -> None:
    from engine.execution.ray_executor import in_our_words

    said = in_our_words(
        "Could not find any running Ray instance. Please specify the one to connect to by setting "
        "`--address` flag or `RAY_ADDRESS` environment variable."
    )
    assert "--address" not in said and "--cluster local" in said
    assert in_our_words("Connection refused") == "Connection refused"


def test_the_leaderboard_table_takes_two_lines_a_row_at_80_columns() -> None:
    import io

    from rich.console import Console

    from tests.test_snapshots import fixed_leaderboard
    from tui.render.runs import leaderboard_report

    console = Console(width=80, file=io.StringIO(), record=True)
    for part in leaderboard_report(fixed_leaderboard()):
        console.print(part)
    lines = console.export_text().splitlines()
    body = lines[lines.index(next(line for line in lines if line.startswith("┡"))) + 1 : -3]
    rows = [line for line in body if line.startswith("│")]
    starts = [n for n, line in enumerate(rows) if line.split("│")[1].strip()]  # a rank: a row begins
    heights = [end - start for start, end in zip(starts, [*starts[1:], len(rows)], strict=True)]
    assert max(heights) == 2  # mean over ± std; nothing wrapped onto a third line
    assert all(len(line) <= 80 for line in lines)


def test_leaderboard_help_lists_every_task(capsys) -> None:
    import pytest

    from tui.main import main

    with pytest.raises(SystemExit):
        main(["leaderboard", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "full: all ten classes" in said and "b_scratch or b_on_a: task B" in said


def test_a_verdict_is_a_value_its_colour_and_counts_read_its_side_not_its_words() -> None:
    """An interval wider than the accuracy scale is 'no clear difference' in words, so it is no side either, even
    where it does not include zero; the terminal colours a verdict by its side."""
    from engine.results.experiment import AHEAD, NO_DIFFERENCE, SeedResult, side_of, summarise
    from tui.render.runs import verdict_text

    helped = summarise([SeedResult(s, (5, 6), 0.9, 0.90, 0.92 + 0.001 * s, {}) for s in (1, 2, 3)])
    assert helped.side == side_of(helped) == AHEAD and verdict_text(helped).style == "bold green"
    # Δ +90 and +95 points: the interval (+61 to +124) excludes zero but reaches past the scale
    wide = summarise([SeedResult(1, (7, 9), 0.78, 0.05, 0.95, {}), SeedResult(2, (7, 9), 0.77, 0.03, 0.98, {})])
    assert wide.difference_ci95[0] > 0 and "too wide to read" in wide.verdict
    assert wide.side == NO_DIFFERENCE and verdict_text(wide).style == "bold"
    assert helped.to_dict()["verdict"] == helped.verdict and "reading" not in helped.to_dict()
