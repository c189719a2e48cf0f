"""Cross-cutting private helpers: time, argument checks, strict JSON, suggestions, words.

Everything here imports only the standard library, numpy, attrs and
:mod:`salesfunnel.errors`.
"""
