"""Training programmes at public training bases (公共实训基地), enrolments and certificates."""
