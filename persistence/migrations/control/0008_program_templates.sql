-- Program templates (docs/agencies.md, "Program templates"): an agency's saved programs, each
-- a snapshot of one tenant's configuration, tiers, rewards, surveys and segments, applied to
-- other tenants of the same agency.
CREATE TABLE program_templates (
    id                uuid PRIMARY KEY,
    agency_id         uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    name              text NOT NULL,
    snapshot          jsonb NOT NULL,
    source_tenant_id  uuid,
    created_by        uuid REFERENCES operators (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Saving under a name the agency already uses replaces that template.
CREATE UNIQUE INDEX program_templates_name ON program_templates (agency_id, lower(name));
