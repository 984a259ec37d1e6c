// The Neo4j layout of graphsvc, applied idempotently by `graphsvc db init` (and before the
// first write of a process). One statement per `;`. Needs Neo4j 5.7 or later (relationship
// property uniqueness constraints).
//
//   (:Entity {id, type})                       one node per entity id
//   (:Record {key, entity, ...})-[:DESCRIBES]->(:Entity)
//                                              what one source record asserts about an entity:
//                                              properties (JSON), provenance, grading, handling
//   (:Entity)-[:LINK {id, type, ...}]->(:Entity)
//                                              one relationship per link assertion, with its
//                                              provenance, grading and handling as properties
//   (:Handling {hkey, ...})                    each distinct handling once; records and links
//                                              carry its key (hkey) and a copy of its fields
//   (:GraphMeta {key: 'graph', version})       the data version, raised by every changing write
//   (:SavedQuery {key, owner, name, version, ...}), (:SavedQueryDeletion {key, owner, name})
//   (:Resolution {id, seq, kind, by_principal, at, reason, entities, moves, redirects, ...})
//                                              an entity-resolution correction (merge, split,
//                                              undo); moves and redirects as JSON text
//   (:Redirect {seq, resolution, kind, entity, target, ...})
//                                              where writes about an entity, a record or a link
//                                              end go since a correction in force

CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT record_key IF NOT EXISTS FOR (r:Record) REQUIRE r.key IS UNIQUE;
CREATE CONSTRAINT link_id IF NOT EXISTS FOR ()-[r:LINK]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT handling_key IF NOT EXISTS FOR (h:Handling) REQUIRE h.hkey IS UNIQUE;
CREATE CONSTRAINT graph_meta_key IF NOT EXISTS FOR (m:GraphMeta) REQUIRE m.key IS UNIQUE;
CREATE CONSTRAINT saved_query_key IF NOT EXISTS FOR (q:SavedQuery) REQUIRE q.key IS UNIQUE;
CREATE CONSTRAINT saved_query_deletion_key IF NOT EXISTS FOR (d:SavedQueryDeletion) REQUIRE d.key IS UNIQUE;
CREATE CONSTRAINT resolution_id IF NOT EXISTS FOR (x:Resolution) REQUIRE x.id IS UNIQUE;

// the properties reads filter on: visibility (hkey), type, date, confidence, source
CREATE INDEX link_hkey IF NOT EXISTS FOR ()-[r:LINK]-() ON (r.hkey);
CREATE INDEX link_type IF NOT EXISTS FOR ()-[r:LINK]-() ON (r.type);
CREATE INDEX link_time IF NOT EXISTS FOR ()-[r:LINK]-() ON (r.t);
CREATE INDEX link_confidence IF NOT EXISTS FOR ()-[r:LINK]-() ON (r.confidence);
CREATE INDEX link_source IF NOT EXISTS FOR ()-[r:LINK]-() ON (r.source);
CREATE INDEX record_hkey IF NOT EXISTS FOR (r:Record) ON (r.hkey);
CREATE INDEX record_entity IF NOT EXISTS FOR (r:Record) ON (r.entity);
CREATE INDEX entity_type IF NOT EXISTS FOR (e:Entity) ON (e.type);
CREATE INDEX saved_query_owner_name IF NOT EXISTS FOR (q:SavedQuery) ON (q.owner, q.name);
CREATE INDEX saved_query_deletion_owner_name IF NOT EXISTS FOR (d:SavedQueryDeletion) ON (d.owner, d.name);
CREATE INDEX redirect_resolution IF NOT EXISTS FOR (r:Redirect) ON (r.resolution);

// name search: the words of every name of a record, already split and folded by graphsvc
// (graphsvc.model.text.tokens), one name per line; the whitespace analyzer keeps them as they
// are, so the index and the embedded store see the same words (no stop words, no other split)
CREATE FULLTEXT INDEX record_names IF NOT EXISTS FOR (r:Record) ON EACH [r.names_text]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}};
