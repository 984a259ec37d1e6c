// The whole store, whatever its handling: links grouped like link_counts.
MATCH (:Entity)-[r:LINK]->(:Entity)
RETURN r.type AS type, r.source AS source, r.classification AS classification,
       r.code AS code, count(*) AS links
