// Erase graphsvc's links, one batch per transaction (before the nodes, so no transaction has
// to delete a hub with all its relationships at once).
MATCH (:Entity)-[r]->()
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS erased
