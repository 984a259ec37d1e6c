// The number of the next correction (in the write transaction that took lock_writes).
MATCH (m:GraphMeta {key: 'graph'})
SET m.resolutions = coalesce(m.resolutions, 0) + 1
RETURN m.resolutions AS seq
