// The redirects of a correction (rows: {seq, resolution, kind, entity, source, record, link,
// link_end, target}), which every later write follows.
UNWIND $rows AS row
CREATE (r:Redirect)
SET r = row
