// Whether the database holds any graphsvc data.
OPTIONAL MATCH (n)
WHERE n:Entity OR n:Record OR n:SavedQuery OR n:GraphMeta
WITH n LIMIT 1
RETURN n IS NULL AS empty
