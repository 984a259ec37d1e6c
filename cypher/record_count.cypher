// How many entity records the scope sees.
MATCH (rec:Record)
WHERE rec.hkey IN $visible
RETURN count(rec) AS records
