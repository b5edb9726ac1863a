"""What sessions do beyond syncing a doc (voting, drafts, estimation, outcomes and their
webhooks, suggested themes), each behind the one Feature interface of base.py."""
