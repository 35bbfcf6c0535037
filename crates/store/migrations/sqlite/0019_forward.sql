-- Forwarding up (数据转发): per upper-platform target, how far through the
-- commit outbox it has forwarded everything (the floor: every outbox row
-- up to it is acknowledged), and each upload the upper platform
-- acknowledged (9014), so a restart resends nothing acknowledged
-- (acked_ms 0: given up after `tries` sends, never acknowledged).
CREATE TABLE forward_cursors (
    target      TEXT PRIMARY KEY,
    floor       INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE TABLE forward_acks (
    target     TEXT NOT NULL,
    device_id  INTEGER NOT NULL,
    cn         INTEGER NOT NULL,
    data_time  INTEGER NOT NULL,
    acked_ms   INTEGER NOT NULL,
    tries      INTEGER NOT NULL,
    PRIMARY KEY (target, device_id, cn, data_time)
);
