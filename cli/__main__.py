"""``python -m curatedrl.cli``: the ``curatedrl`` command."""

import sys

from curatedrl.cli import main

sys.exit(main())
