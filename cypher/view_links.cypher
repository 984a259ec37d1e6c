// The scope's whole visible graph, projected for analytics: every visible link's topology and
// the attributes traversal filters and weights need.
MATCH (a:Entity)-[r:LINK]->(b:Entity)
WHERE r.hkey IN $visible
RETURN a.id AS src, a.type AS src_type, b.id AS dst, b.type AS dst_type, r.id AS id,
       r.type AS type, r.t AS t, r.confidence AS confidence, r.directed AS directed,
       r.grade_source AS grade_source, r.grade_info AS grade_info
