"""``python -m salesfunnel``: the same as the ``salesfunnel`` command."""

import sys

from salesfunnel.cli import main

if __name__ == "__main__":
    sys.exit(main())
