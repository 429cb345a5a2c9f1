-- The tier multiplier an order first earned at: a later change of the order is priced at it,
-- as it is at the order's first program version, whatever tier the member holds by then.
ALTER TABLE orders ADD COLUMN tier_multiplier numeric(6, 3) NOT NULL DEFAULT 1;
