-- Every lock a migration needs is awaited for at most MIGRATION_LOCK_TIMEOUT_SECONDS: a long
-- transaction of another service then fails the migration (and it is retried) instead of making
-- every writer queue behind the migration's lock request.
SET lock_timeout = '${lockTimeout}';
