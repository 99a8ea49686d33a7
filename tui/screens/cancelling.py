"""The views whose c cancels a run: Progress cancels any run; Optimizers, Study and Tune only the run they show
live, and each shows the key only while that run trains, so c never stops a run the view does not show."""

from __future__ import annotations

from textual.binding import Binding


def cancel_binding(tooltip: str) -> Binding:
    """c, with what stays of a cancelled run of this view's kind in its tooltip."""
    return Binding("c", "cancel_run", "Cancel", tooltip=tooltip, id="run.cancel")


class CancelsItsRun:
    """Mixed into a Screen: its c cancels the run in progress only where this view shows it live."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel only while the run this view shows trains (False hides it from the footer)."""
        if action == "cancel_run":
            return self.app.cancels_here(self.id)
        return True

    def action_cancel_run(self) -> None:
        if self.app.cancels_here(self.id):
            self.app.action_cancel_run()
