// Name search candidates: records whose names match the full-text query, visible ones only,
// filtered before the cut so hidden names cannot crowd out visible ones.
CALL db.index.fulltext.queryNodes('record_names', $query) YIELD node
WHERE node.hkey IN $visible AND ($types IS NULL OR node.entity_type IN $types)
RETURN node.entity AS id, node.names AS names
LIMIT $candidates
