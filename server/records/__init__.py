"""Records and progress of a person's filings: list, detail with timeline, and what can be done
with a filing after submission (cancel, withdraw, extend, change, contact, owed proof, voucher)."""
