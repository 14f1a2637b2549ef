"""RQ job functions (ids in, session opened, service called, errors re-raised) and cron."""
