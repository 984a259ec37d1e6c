// The highest stored version of one saved query (null when there is none).
OPTIONAL MATCH (q:SavedQuery {owner: $owner, name: $name})
RETURN max(q.version) AS version
