"""Synthetic cohorts through any funnel, as an :class:`~salesfunnel.EventLog`.

:func:`simulate` (also ``salesfunnel.simulate``) moves entities through a funnel as a
Markov chain with exponential stage times; :func:`transition_matrix` gives the move
probabilities it uses, for inspection or for
:meth:`salesfunnel.planner.MarkovModel.from_matrix`.

Examples
--------
>>> import salesfunnel as sf
>>> from salesfunnel.simulation import transition_matrix
>>> log = sf.simulate(sf.templates.get("aida"), n=100, rng=7)
>>> log.n_entities
100
>>> transition_matrix(sf.templates.get("aida")).shape
(5, 5)
"""

from salesfunnel._simulation import MAX_JOURNEYS, simulate, transition_matrix

__all__ = ["MAX_JOURNEYS", "simulate", "transition_matrix"]
