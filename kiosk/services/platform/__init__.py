"""Platform: units of work, the database, change feed, outbox, sign-in, PINs, the ledger, text."""
