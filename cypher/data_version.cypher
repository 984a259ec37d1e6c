// The data version: it rises with every write that changes the graph (views are cached by it).
OPTIONAL MATCH (m:GraphMeta {key: 'graph'})
RETURN coalesce(m.version, 0) AS version
