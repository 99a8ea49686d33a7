"""The command's exit codes, in one place for `main` and the commands that end runs."""

EXIT_USER_ERROR = 2  # bad input: one line on stderr says what
EXIT_CANCELLED = 130  # Ctrl-C, as shells report SIGINT
EXIT_BROKEN_PIPE = 141  # as a process killed by SIGPIPE, what shells expect of `... | head`
