// Every link touching these entities, whatever its handling, with its ends (what a correction
// may move; the caller's scope is applied in Python to each link's handling).
UNWIND $ids AS id
MATCH (:Entity {id: id})-[r:LINK]-(:Entity)
WITH DISTINCT r
RETURN r.id AS id, startNode(r).id AS src, endNode(r).id AS dst,
       r.classification AS classification, r.releasable_to AS releasable_to,
       r.caveats AS caveats, r.code AS code, r.originator AS originator,
       r.retain_until AS retain_until
