"""Results as CSV, JSON or Markdown text, for leaderboards and experiments alike."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from engine.data.classes import class_name
from engine.errors import ConfigError
from engine.fileio import finite
from engine.results.experiment import ExperimentResult
from engine.results.leaderboard import TASK_TITLES, LeaderboardResult, ranked

FORMATS = ("csv", "json", "md")


def export_text(result: ExperimentResult | LeaderboardResult, fmt: str) -> str:
    """`result` in format `fmt` (csv, json or md)."""
    if fmt not in FORMATS:
        raise ConfigError(f"export format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "json":
        return json.dumps(finite(result.to_dict()), indent=2) + "\n"
    rows = leaderboard_rows(result) if isinstance(result, LeaderboardResult) else experiment_rows(result)
    return _csv(rows) if fmt == "csv" else _markdown(result, rows)


def leaderboard_rows(result: LeaderboardResult) -> list[dict[str, Any]]:
    """One flat row per optimizer, in rank order (best validation accuracy)."""
    hyper = {entry.name: entry.hyperparameters for entry in result.entries}
    return [
        {
            "rank": rank,
            "optimizer": row.optimizer,
            "status": row.status,
            "best_val_accuracy_mean": row.best_val_accuracy[0],
            "best_val_accuracy_std": row.best_val_accuracy[1],
            "final_val_accuracy_mean": row.final_val_accuracy[0],
            "final_val_accuracy_std": row.final_val_accuracy[1],
            "final_val_loss_mean": row.final_val_loss[0],
            "final_val_loss_std": row.final_val_loss[1],
            "epochs_to_target_mean": row.epochs_to_target,
            "seeds_reaching_target": row.seeds_reaching_target,
            "seeds_counted": row.seeds_counted,
            "seconds_per_epoch": row.seconds_per_epoch,
            "hyperparameters": json.dumps(hyper[row.optimizer], sort_keys=True),
        }
        for rank, row in enumerate(ranked(result.rows()), start=1)
    ]


def experiment_rows(result: ExperimentResult) -> list[dict[str, Any]]:
    """One flat row per (class pair, seed)."""
    return [
        {
            "b_pair": f"{class_name(r.b_classes[0])} vs {class_name(r.b_classes[1])}",
            "seed": r.seed,
            "test_acc_a": r.test_acc_a,
            "test_acc_b_scratch": r.test_acc_b_scratch,
            "test_acc_b_transfer": r.test_acc_b_transfer,
            "difference": r.difference,
            "error_ratio": r.error_ratio,
            "diverged": r.diverged or "",
        }
        for r in result.seeds
    ]


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(finite(rows))
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("|", "\\|")


def _markdown(result: ExperimentResult | LeaderboardResult, rows: list[dict[str, Any]]) -> str:
    config = result.config
    if isinstance(result, LeaderboardResult):
        board = config["leaderboard"]
        heading = (
            f"# Optimizer leaderboard: {TASK_TITLES[board['task']]}\n\n"
            f"{board['epochs']} epochs, seeds {config['run']['seeds']}, target validation accuracy "
            f"{board['target_accuracy']:.2%}, status {result.status}, {result.device}.\n"
        )
    else:
        heading = f"# Transfer experiment\n\nSeeds {config['run']['seeds']}, status {result.status}, {result.device}.\n"
        for pair, summary in result.summaries().items():
            heading += f"\n- {class_name(pair[0])} vs {class_name(pair[1])}: {summary.verdict}"
        heading += "\n"
    if not rows:
        return heading + "\nNo results.\n"
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(_cell(value) for value in row.values()) + " |" for row in finite(rows)]
    return heading + "\n" + "\n".join(lines) + "\n"
