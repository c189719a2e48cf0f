"""The ``salesfunnel`` command line: ``report``, ``plan``, ``templates`` and ``demo``.

Run ``salesfunnel --help`` or ``python -m salesfunnel --help``.
"""

from salesfunnel.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
