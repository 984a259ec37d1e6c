// Erase graphsvc's nodes (and what relationships are left), one batch per transaction. The
// meta node stays: the data version only ever rises, so no process mistakes new data for the
// version it cached.
MATCH (n)
WHERE n:Entity OR n:Record OR n:Handling OR n:SavedQuery OR n:SavedQueryDeletion
   OR n:Resolution OR n:Redirect
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS erased
