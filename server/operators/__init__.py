"""What operators do: staff accounts, the institution directory import, dead-letter messages."""
