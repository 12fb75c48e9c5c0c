"""Real servers on loopback for the test suite: SMTP, IMAP, an OpenID Connect provider and a
PostgreSQL streaming replica. See README.md in this folder."""
