-- beam-bus.sqlite as snapshotted before the drill (the backup).
CREATE TABLE intents (nonce TEXT PRIMARY KEY, sender TEXT, target TEXT, intent TEXT, state TEXT,
                      retries INTEGER, updated_at TEXT);
INSERT INTO intents VALUES
  ('n-quote-1', 'demo-ui', 'quote-agent', 'quote.request', 'acked', 0, '2026-04-10T08:10:00Z'),
  ('n-fin-1', 'demo-ui', 'finance-agent', 'finance.preflight', 'delivered', 0, '2026-04-10T08:11:00Z');
