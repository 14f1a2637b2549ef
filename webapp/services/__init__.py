"""Use cases. Each takes the DB session and the acting user, flushes, never commits."""
