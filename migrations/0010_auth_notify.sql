-- Every change that can end or alter a sign-in is announced on channel oi_auth, so each server
-- process can keep recently read sessions, bearer tokens and their accounts in memory and drop
-- them the moment they change (src/db/auth-cache.ts). Payloads: 's:' || sid for a session,
-- 't:' || token_hash for an API token, 'u:' || user_id for an account or its store list.
-- Notifications are sent at commit, in commit order, and not at all if the change rolls back.
CREATE FUNCTION notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_old record;
  row_new record;
BEGIN
  IF TG_OP <> 'INSERT' THEN row_old := OLD; END IF;
  IF TG_OP <> 'DELETE' THEN row_new := NEW; END IF;
  IF TG_TABLE_NAME = 'sessions' THEN
    PERFORM pg_notify('oi_auth', 's:' || row_old.sid);
  ELSIF TG_TABLE_NAME = 'api_tokens' THEN
    PERFORM pg_notify('oi_auth', 't:' || row_old.token_hash);
  ELSE
    -- users or user_stores: the account before the change and, if another, the one after.
    IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('oi_auth', 'u:' || row_old.user_id); END IF;
    IF TG_OP = 'INSERT' THEN
      PERFORM pg_notify('oi_auth', 'u:' || row_new.user_id);
    ELSIF TG_OP = 'UPDATE' THEN
      IF row_new.user_id IS DISTINCT FROM row_old.user_id THEN PERFORM pg_notify('oi_auth', 'u:' || row_new.user_id); END IF;
    END IF;
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
-- A new session or token is read before anything keeps it: only changes and deletions matter.
CREATE TRIGGER sessions_notify_auth AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();--> statement-breakpoint
CREATE TRIGGER api_tokens_notify_auth AFTER UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();--> statement-breakpoint
CREATE TRIGGER users_notify_auth AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();--> statement-breakpoint
CREATE TRIGGER user_stores_notify_auth AFTER INSERT OR UPDATE OR DELETE ON user_stores
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();
