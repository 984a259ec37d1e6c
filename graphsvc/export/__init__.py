"""Exports: an answer (expand, paths, subgraph, community, query result, the whole visible
graph) written as GEXF, GraphML, Gephi CSV, Cytoscape JSON, FollowTheMoney or i2 ANX, with
its handling banner, restricted to what its purpose allows, and audited as a disclosure.

``graph`` is the shape every answer takes, ``purpose`` the handling codes' restrictions,
``banner`` the handling banner, ``attributes`` the columns the tabular formats share,
``formats`` the writers, ``service`` the one entry point the API and the CLI call.
"""
