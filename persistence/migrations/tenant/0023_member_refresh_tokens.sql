-- Refresh tokens of members' apps (docs/api.md, "Mobile sessions"): one row per token ever
-- issued, bound to a member and a device. Only a keyed hash of the token is kept. A token is
-- used once: its row is marked used when it is exchanged for the next one of its family, and
-- showing a used token again revokes every token of that member's device.
CREATE TABLE member_refresh_tokens (
    id          uuid PRIMARY KEY,
    member_id   uuid NOT NULL REFERENCES members (id),
    device_id   text NOT NULL,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
-- Revoking a member's tokens (by device, or all of them on erasure) reads only live rows.
CREATE INDEX member_refresh_tokens_live
    ON member_refresh_tokens (member_id, device_id) WHERE revoked_at IS NULL;
