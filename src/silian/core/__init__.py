"""Core services shared by every feature: database, choices, audit log, security."""
