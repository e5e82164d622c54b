"""Joint meetings (会商) of the three offices: agenda, decisions (议定事项) and follow-up (督办)."""
