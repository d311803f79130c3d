CREATE TABLE notifications (id INTEGER PRIMARY KEY, kind TEXT, state TEXT, owner TEXT, next_action TEXT);
INSERT INTO notifications VALUES
  (1, 'critical_alert', 'acted', 'dana', 'rotate the partner key'),
  (2, 'critical_alert', 'acknowledged', 'dana', NULL),
  (3, 'critical_alert', 'new', NULL, NULL);
