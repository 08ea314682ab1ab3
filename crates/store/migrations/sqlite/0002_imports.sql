-- Version 2: imported files are facts of kind 'imported' (`kpi::ImportMark`);
-- a partial index finds them without scanning the routing facts, so an
-- import can refuse a file that is already in the store.
CREATE INDEX log_imports ON log (seq) WHERE kind = 'imported';
