"""`python -m tui`: the same as the `transfer-tui` command."""

import sys

from tui.main import main

sys.exit(main())
