-- A firm's violation during an alert becomes one ticket, whichever node
-- sees it first: its source_ref (`alert:ID:CREDIT_CODE`) is unique among
-- the tickets of source alert_violation.
CREATE UNIQUE INDEX tickets_alert_violation ON tickets (source_ref) WHERE source = 'alert_violation';
