"""In-app notifications: what needs a user's action, read per item or all at once."""
