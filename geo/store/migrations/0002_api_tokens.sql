-- API tokens: only their SHA-256 hashes are kept, never the tokens.
CREATE TABLE api_tokens (
    seq bigint GENERATED ALWAYS AS IDENTITY,  -- insertion order ("oldest first")
    id text PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    hash text NOT NULL UNIQUE,
    created timestamptz NOT NULL,
    revoked timestamptz
);
