// Serialise writers: every write transaction first takes the write lock of the meta node
// (held until it commits), so checks and writes of two ingests never interleave.
MERGE (m:GraphMeta {key: 'graph'})
ON CREATE SET m.version = 0
SET m.writes = coalesce(m.writes, 0) + 1
RETURN m.version AS version
