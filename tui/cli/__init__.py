"""The command line: argument parsing, the headless commands and the terminal reporter. No Textual."""
