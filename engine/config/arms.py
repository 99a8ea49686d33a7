"""A tuning's arms by name: "scratch" (B from scratch, the baseline every other arm is read against), "transfer"
(B on A as [transfer] configures it, its reuse depth searchable as `reused_layers`), or a layer-sweep treatment
at a chosen depth, "AnB:3", "AnB+:3", "BnB:2", "BnB+:2" (Yosinski et al. 2014: A's or the seed's own B's first
n hidden layers, kept frozen, or fine-tuned after the frozen epochs with "+")."""

from __future__ import annotations

from dataclasses import dataclass

from engine.config.choices import TREATMENTS
from engine.errors import ConfigError

SCRATCH, TRANSFER = "scratch", "transfer"
REUSED_LAYERS = "reused_layers"  # the transfer arm's searchable reuse depth


@dataclass(frozen=True)
class Arm:
    """What an arm trains: `source` None (from scratch), "a" (model A's layers) or "b" (the seed's B from scratch,
    the selffer control); `depth` the hidden layers it reuses (None: [transfer] reuse_layers, or the searched
    `reused_layers`); `fine_tune` whether they train after the frozen epochs."""

    name: str
    source: str | None
    depth: int | None = None
    fine_tune: bool = True

    @property
    def word(self) -> str:
        """The arm in running text: 'scratch', 'transfer', or its treatment's notation, 'A3B+'."""
        return self.name if self.name in (SCRATCH, TRANSFER) else self.title

    @property
    def treatment(self) -> str:
        """The layer-sweep treatment a depth-named arm is ('AnB+' of 'AnB+:2'); scratch and transfer are their own."""
        return self.name.partition(":")[0]

    @property
    def space_name(self) -> str:
        """Whose default search space the arm starts from: scratch's or transfer's."""
        return SCRATCH if self.source is None else TRANSFER

    @property
    def title(self) -> str:
        """'B from scratch', 'B on A', or Yosinski's notation: 'A3B+'."""
        if self.name == SCRATCH:
            return "B from scratch"
        if self.name == TRANSFER:
            return "B on A" if self.source == "a" else "B on B"
        return f"{self.source.upper()}{self.depth}B{'+' if self.fine_tune else ''}"


def parse_arm(name: str, source: str = "a", fine_tune: bool = True) -> Arm:
    """The arm `name` stands for; `source` and `fine_tune` are [transfer]'s, which the transfer arm follows."""
    if name == SCRATCH:
        return Arm(SCRATCH, None)
    if name == TRANSFER:
        return Arm(TRANSFER, source, None, fine_tune)
    treatment, _, depth = name.partition(":")
    if treatment not in TREATMENTS or not depth.isdigit() or int(depth) < 1:
        raise ConfigError.about(
            "tune.arms",
            f"has {name!r}; an arm is scratch, transfer, or a treatment at a depth from 1 "
            f"({', '.join(f'{t}:N' for t in TREATMENTS)}, e.g. AnB+:3)",
        )
    return Arm(name, treatment[0].lower(), int(depth), treatment.endswith("+"))
