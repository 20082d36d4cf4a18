-- LedgerDesk schema 7: login_attempt, the lockout state of the login (services/accounts.py).
--
-- A LOCAL table (no `vid`: never synced, no guard triggers): failed logins
-- are a fact about this machine, not ledger data. One row per user name typed
-- (also names that have no account, so a refusal does not tell whether an
-- account exists). After the 5th consecutive failure each further failure
-- locks the name for a growing delay (30 s, 60 s, 120 s … at most 1 h);
-- a successful login deletes the row. Times are the ledger clock's Unix ms.
CREATE TABLE login_attempt (
    username      TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL DEFAULT 0,   -- consecutive failures since the last success
    last_failure  INTEGER NOT NULL DEFAULT 0,   -- ms
    locked_until  INTEGER NOT NULL DEFAULT 0    -- ms; 0 = not locked
) WITHOUT ROWID;
