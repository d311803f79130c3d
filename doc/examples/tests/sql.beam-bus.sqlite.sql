CREATE TABLE intents (nonce TEXT PRIMARY KEY, state TEXT);
INSERT INTO intents VALUES ('n-1', 'acked'), ('n-2', 'dead_letter');
