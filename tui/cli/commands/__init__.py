"""One module per subcommand: its arguments and its handler, which imports what it runs only when it runs."""
