-- Referrals: who brought whom, and what each was given for it.
CREATE TABLE referrals (
    id                   uuid PRIMARY KEY,
    seq                  bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    referrer_id          uuid NOT NULL REFERENCES members (id),
    referee_id           uuid NOT NULL UNIQUE REFERENCES members (id),
    status               text NOT NULL CHECK (status IN ('PENDING', 'REWARDED', 'REJECTED', 'REVERSED')),
    reject_reason        text,
    qualifying_order_id  text,
    referrer_entry_id    bigint REFERENCES ledger_entries (id),
    referee_entry_id     bigint REFERENCES ledger_entries (id),
    created_at           timestamptz NOT NULL,
    rewarded_at          timestamptz
);
CREATE INDEX referrals_referrer ON referrals (referrer_id, created_at);
CREATE INDEX referrals_order ON referrals (qualifying_order_id) WHERE qualifying_order_id IS NOT NULL;
