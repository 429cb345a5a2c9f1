-- Open available lots in the order points leave them (domain.ledger.spend_order): soonest
-- to expire first, never-expiring last by arrival. A spend reads only the first few lots it
-- needs, however many a member has.
CREATE INDEX lots_spend_order ON lots
    (member_id, wallet, (expires_at IS NULL), (coalesce(expires_at, available_at)), id)
    WHERE remaining > 0 AND NOT pending;
