-- Every change of api_tokens (a new token, a revocation, an edit by hand) notifies
-- biomap_tokens, so API servers drop the token checks they keep (a revoked token is refused
-- on every server as soon as the notification arrives).
CREATE FUNCTION biomap_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('biomap_tokens', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION biomap_tokens_changed();
