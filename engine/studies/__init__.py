"""Studies: the kinds of run a user asks for (the transfer experiment, the optimizer leaderboard) and the bench."""
