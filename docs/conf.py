"""Sphinx configuration for the salesfunnel documentation."""

from __future__ import annotations

import sys
from importlib.metadata import version as _version
from pathlib import Path

from sphinx.ext.napoleon.docstring import GoogleDocstring

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "salesfunnel"
author = "salesfunnel developers"
copyright = "2026, salesfunnel developers"  # noqa: A001
release = _version("salesfunnel")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sf_figures",          # figures drawn by the library at build time (docs/_ext)
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False
# No intersphinx: builds run offline (CI has no network), and -W turns its fetch
# failure into an error.
exclude_patterns = ["_build", "_generated"]
html_theme = "alabaster"
html_title = "salesfunnel"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_extra_path = ["_generated/extra"]     # the demo report pages, linked from the gallery


def _attribute_docstring(self: GoogleDocstring) -> list[str]:
    """A property's docstring as written.

    Napoleon reads the first line of an attribute's docstring as ``type: description``,
    so "The main path: the open stages ..." came out as "Type: The main path". Types
    come from annotations here, never from docstrings.
    """
    return list(self._consume_to_end())


GoogleDocstring._parse_attribute_docstring = _attribute_docstring  # type: ignore[method-assign]
