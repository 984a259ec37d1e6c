// Every redirect in force, oldest correction first (later ones win for one key).
MATCH (r:Redirect)
RETURN r.seq AS seq, r.kind AS kind, r.entity AS entity, r.source AS source,
       r.record AS record, r.link AS link, r.link_end AS link_end, r.target AS target
ORDER BY seq
