// Each distinct handling of a batch, once (rows: {hkey, fields}).
UNWIND $rows AS row
MERGE (h:Handling {hkey: row.hkey})
ON CREATE SET h += row.fields
RETURN count(h) AS handlings
