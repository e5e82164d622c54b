"""Brokerage: brokers, their training, suggested matches, brokered deals and contracts."""
