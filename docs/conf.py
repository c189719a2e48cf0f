"""Sphinx configuration for the salesfunnel documentation."""

from __future__ import annotations

from importlib.metadata import version as _version

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
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = "salesfunnel"
