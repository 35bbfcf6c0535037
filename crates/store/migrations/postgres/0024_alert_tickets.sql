-- A firm's violation during an alert becomes one ticket, whichever node
-- sees it first: its source_ref (`alert:ID:CREDIT_CODE`) is unique among
-- the tickets of source alert_violation.
-- Tickets of that source opened by hand before with a repeated key keep
-- the key on the oldest only.
UPDATE tickets SET source_ref = NULL
 WHERE source = 'alert_violation' AND source_ref IS NOT NULL
   AND id NOT IN (SELECT MIN(id) FROM tickets WHERE source = 'alert_violation' AND source_ref IS NOT NULL GROUP BY source_ref);
CREATE UNIQUE INDEX tickets_alert_violation ON tickets (source_ref) WHERE source = 'alert_violation';
