-- The drill's restored beam-directory.db: the operator notification of the
-- beta request did not come back, and an agent's status changed.
CREATE TABLE agents (id TEXT PRIMARY KEY, workspace TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE beta_requests (id INTEGER PRIMARY KEY, workspace TEXT, owner TEXT, next_action TEXT, state TEXT);
CREATE TABLE notifications (id INTEGER PRIMARY KEY, kind TEXT, state TEXT, owner TEXT, next_action TEXT,
                            created_at TEXT);
INSERT INTO agents VALUES ('quote-agent', 'demo', 'online'), ('finance-agent', 'demo', 'offline'),
                          ('invoice-agent', 'acme', 'online');
INSERT INTO beta_requests VALUES (1, 'acme', 'dana', 'schedule onboarding', 'acknowledged');
INSERT INTO notifications VALUES
  (1, 'critical_alert', 'acted', 'dana', 'rotate the partner key', '2026-04-10T08:00:00Z');
