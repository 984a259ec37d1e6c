"""Analytics on the caller's visible graph: communities, centrality and hidden-link scoring.

Every function here takes a ``Network`` cut from a ``ScopedView`` (or, for the evaluation
commands, read from an edge file), never the store: what a caller may not see cannot shape a
community, a rank or a score. ``network.py`` builds the network (the analyst's scope, parallel
links collapsed into weighted pairs, vertices in entity-id order); ``communities.py``,
``centrality.py`` and ``hidden_links.py`` are the three families; ``evaluate.py`` measures them
against known answers.
"""
