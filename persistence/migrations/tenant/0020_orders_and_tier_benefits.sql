-- Orders lists, and tier benefits.

-- Lists of orders (a member's purchase history, the store's reconciliation), newest placed
-- first, a keyset page at a time: `seq` breaks ties between orders placed at the same time
-- and is the second half of a page's cursor.
ALTER TABLE orders ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX orders_seq ON orders (seq);
CREATE INDEX orders_member_newest ON orders (member_id, placed_at DESC, seq DESC)
    WHERE member_id IS NOT NULL;
CREATE INDEX orders_newest ON orders (placed_at DESC, seq DESC);
CREATE INDEX orders_guest_newest ON orders (guest_id, placed_at DESC, seq DESC)
    WHERE guest_id IS NOT NULL;

-- An order's refunds, read with a page of orders.
CREATE INDEX refunds_order ON refunds (order_id, created_at);

-- Tier benefits that act: a standing discount on every order and free shipping, read by the
-- storefront from the member's tier.
ALTER TABLE tiers ADD COLUMN discount_percent numeric(5, 2)
    CHECK (discount_percent > 0 AND discount_percent <= 100);
ALTER TABLE tiers ADD COLUMN free_shipping boolean NOT NULL DEFAULT false;
