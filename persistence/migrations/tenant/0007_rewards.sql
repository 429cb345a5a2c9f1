-- Codes are unique across a tenant, in pools as in redemptions: a code uploaded to two
-- rewards' pools could be issued twice, and redemptions.code would refuse the second.
-- The index also serves the lookups by code alone (pool import, generated-code checks).
CREATE UNIQUE INDEX reward_codes_code ON reward_codes (code);
-- member { redemptions } lists a member's codes newest first.
CREATE INDEX redemptions_member_seq ON redemptions (member_id, seq DESC);
-- The characters generated codes are made of: a merchant's choice among the unambiguous ones
-- (e.g. digits only for codes typed on a keypad).
ALTER TABLE rewards ADD COLUMN code_alphabet text NOT NULL DEFAULT 'ACDEFGHJKMNPQRTUVWXY34679';
