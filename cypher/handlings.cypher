// Every distinct handling: the store asks the scope which of them it may see.
MATCH (h:Handling)
RETURN h.hkey AS hkey, h.classification AS classification, h.releasable_to AS releasable_to,
       h.caveats AS caveats, h.code AS code, h.originator AS originator,
       h.retain_until AS retain_until
