// Whether the database holds any graphsvc data (the meta node alone is not data).
OPTIONAL MATCH (n)
WHERE n:Entity OR n:Record OR n:SavedQuery OR n:Resolution
WITH n LIMIT 1
RETURN n IS NULL AS empty
