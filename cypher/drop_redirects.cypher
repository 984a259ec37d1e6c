// The redirects of a correction that is undone.
MATCH (r:Redirect {resolution: $resolution})
DELETE r
