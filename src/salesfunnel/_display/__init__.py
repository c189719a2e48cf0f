"""Display layer: the table model, text and HTML tables, the funnel SVG.

Imports nothing from model, metrics or planner: objects hand it their data.
"""
