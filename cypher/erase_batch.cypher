// Erase graphsvc's nodes (and their relationships), one batch per transaction.
MATCH (n)
WHERE n:Entity OR n:Record OR n:Handling OR n:GraphMeta OR n:SavedQuery OR n:SavedQueryDeletion
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS erased
