-- Plans under the balance lock that hold with no statistics and with stale ones (a bulk
-- load, no ANALYZE yet): what the lock reads is either skipped or an index range scan.

-- The soonest a lot of this wallet comes due (a pending lot's available_at, an open lot's
-- expires_at), never later than the truth: the lock reads due lots only once it has passed,
-- so a member with many lots pays nothing for them until one is due. NULL: nothing will come
-- due; -infinity (existing rows and new ones): not known yet, so the next lock looks and
-- records it.
ALTER TABLE balances ADD COLUMN next_due_at timestamptz DEFAULT '-infinity';

-- A wallet's lots by when they mature and when they expire, with the id that breaks ties:
-- the lock reads the due ones as range scans in index order, a batch at a time.
CREATE INDEX lots_maturing_member ON lots (member_id, wallet, available_at, id)
    WHERE pending AND remaining > 0;
CREATE INDEX lots_expiring_member ON lots (member_id, wallet, expires_at, id)
    WHERE remaining > 0 AND expires_at IS NOT NULL;

-- Every lot written, however it is written (the ledger, an import, a bulk load), brings its
-- wallet's next_due_at forward when it comes due sooner; nothing ever moves it later except
-- the lock's own recount.
CREATE FUNCTION lots_bring_due_forward() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE balances b SET next_due_at = n.due
    FROM (SELECT member_id, wallet,
                 min(CASE WHEN pending THEN least(available_at, expires_at) ELSE expires_at END)
                   AS due
          FROM new_lots WHERE remaining > 0 GROUP BY member_id, wallet) n
    WHERE b.member_id = n.member_id AND b.wallet = n.wallet
      AND (b.next_due_at IS NULL OR b.next_due_at > n.due);
    RETURN NULL;
END;
$$;
CREATE TRIGGER lots_due_on_insert AFTER INSERT ON lots
    REFERENCING NEW TABLE AS new_lots
    FOR EACH STATEMENT EXECUTE FUNCTION lots_bring_due_forward();

CREATE FUNCTION lot_brings_due_forward() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    due_at timestamptz := CASE WHEN NEW.pending THEN least(NEW.available_at, NEW.expires_at)
                               ELSE NEW.expires_at END;
BEGIN
    UPDATE balances SET next_due_at = due_at
    WHERE member_id = NEW.member_id AND wallet = NEW.wallet
      AND (next_due_at IS NULL OR next_due_at > due_at);
    RETURN NULL;
END;
$$;
-- Only changes that can make a lot due sooner (points given back, new dates); spending and
-- maturing only make it due later, and run without the trigger.
CREATE TRIGGER lots_due_on_update AFTER UPDATE OF remaining, pending, available_at, expires_at
    ON lots FOR EACH ROW
    WHEN (NEW.remaining > 0 AND (NEW.remaining > OLD.remaining
          OR (NEW.pending AND NOT OLD.pending)
          OR NEW.available_at IS DISTINCT FROM OLD.available_at
          OR NEW.expires_at IS DISTINCT FROM OLD.expires_at))
    EXECUTE FUNCTION lot_brings_due_forward();

-- What one order's entries earned and took back in a wallet, read under the lock when an
-- order changes or is refunded (stamps): by the order, not by a walk of the member's entries.
CREATE INDEX ledger_entries_order ON ledger_entries (order_id, member_id, wallet)
    WHERE order_id IS NOT NULL;
