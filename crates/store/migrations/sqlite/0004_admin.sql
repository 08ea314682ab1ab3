-- Version 4: administration changes are facts of kind 'admin'
-- (`kpi::Admin`): the audit log, and what the server rebuilds its users,
-- customers and configuration from at start. A partial index finds them
-- without scanning the routing facts. The screen pop lists a caller's
-- recent contacts by number; customers by id already have an index.
CREATE INDEX log_admin ON log (seq) WHERE kind = 'admin';
CREATE INDEX contacts_ani ON contacts (ani, arrived_ms) WHERE ani IS NOT NULL;
