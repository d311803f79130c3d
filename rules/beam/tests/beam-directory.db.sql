-- A restored beam-directory.db: beta requests did not come back, and two
-- notifications were left in new (one older than a day).
CREATE TABLE agents (id TEXT PRIMARY KEY, workspace TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE beta_requests (id INTEGER PRIMARY KEY, workspace TEXT, owner TEXT, next_action TEXT, state TEXT);
CREATE TABLE notifications (id INTEGER PRIMARY KEY, kind TEXT, state TEXT, owner TEXT, next_action TEXT,
                            created_at TEXT);
INSERT INTO agents VALUES ('quote-agent', 'demo', 'online');
INSERT INTO notifications VALUES
  (1, 'critical_alert', 'new', NULL, NULL, '2026-04-08T08:00:00Z'),
  (2, 'beta_request', 'new', NULL, NULL, '2026-04-10T07:00:00Z'),
  (3, 'critical_alert', 'acted', 'dana', 'rotate the partner key', '2026-04-10T08:00:00Z');
