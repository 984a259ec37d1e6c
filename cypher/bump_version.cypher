// Raise the data version, in the transaction of the write that changed something.
MERGE (m:GraphMeta {key: 'graph'})
ON CREATE SET m.version = 0
SET m.version = m.version + 1
RETURN m.version AS version
