"""`python -m nbtrack` is the `nbtrack` command."""

import sys

from .cli import main

sys.exit(main())
