-- The drill's restored beam-directory.db, as changes to the backup
-- (beam-directory.sql, loaded first): the operator notification of the beta
-- request did not come back, and an agent's status changed.
DELETE FROM notifications WHERE id = 2;
UPDATE agents SET status = 'offline' WHERE id = 'finance-agent';
