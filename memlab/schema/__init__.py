"""The SQL of every shipped migration step, frozen as it shipped (never edited: a new step changes the schema)."""
