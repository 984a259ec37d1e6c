// The whole store, whatever its handling (the operator's `graphsvc stats`): entities by type.
MATCH (e:Entity)
RETURN e.type AS type, count(*) AS entities
