-- Logout, a password change and deactivation mark the session ended instead of deleting it, so a
-- request still holding the session cannot insert it back (security finding 3).
ALTER TABLE "sessions" ADD COLUMN "ended_at" timestamp with time zone;
