-- Codes are unique across a tenant, in pools as in redemptions: a code uploaded to two
-- rewards' pools could be issued twice, and redemptions.code would refuse the second.
-- The index also serves the lookups by code alone (pool import, generated-code checks).
CREATE UNIQUE INDEX reward_codes_code ON reward_codes (code);
-- member { redemptions } lists a member's codes newest first.
CREATE INDEX redemptions_member_seq ON redemptions (member_id, seq DESC);
-- The characters generated codes are made of: a merchant's choice among the unambiguous ones
-- (e.g. digits only for codes typed on a keypad).
ALTER TABLE rewards ADD COLUMN code_alphabet text NOT NULL DEFAULT 'ACDEFGHJKMNPQRTUVWXY34679';
-- What a code promises besides its value, copied from the reward when the code is issued:
-- editing a reward changes the codes issued after the edit, never those shoppers hold.
ALTER TABLE redemptions
    ADD COLUMN kind               text,
    ADD COLUMN percentage         numeric(5, 2),
    ADD COLUMN max_discount_minor bigint,
    ADD COLUMN sku                text,
    ADD COLUMN min_order_minor    bigint NOT NULL DEFAULT 0;
UPDATE redemptions r
   SET kind = w.kind, percentage = w.percentage, max_discount_minor = w.max_discount_minor,
       sku = w.sku, min_order_minor = w.min_order_minor
  FROM rewards w
 WHERE w.id = r.reward_id;
ALTER TABLE redemptions ALTER COLUMN kind SET NOT NULL;
