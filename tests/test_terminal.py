"""Whatever goes to file descriptor 2 lands in the log; Textual and our own messages still reach the terminal."""

import subprocess
import sys
import textwrap
from pathlib import Path


def test_fd2_goes_to_the_log_and_textual_keeps_the_terminal(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "app.log"
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from tui.cli.terminal import stderr_to_log

        with stderr_to_log(Path({str(log)!r})):
            os.write(2, b"I0000 C++ chatter from TensorFlow\\n")
            sys.__stderr__.write("what Textual draws\\n")
            sys.__stderr__.flush()
            print("our own message", file=sys.stderr, flush=True)
        os.write(2, b"after the app\\n")
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0
    assert completed.stderr == "what Textual draws\nour own message\nafter the app\n"
    assert log.read_text() == "I0000 C++ chatter from TensorFlow\n"
