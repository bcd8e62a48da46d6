"""What one index is, before anything runs it: its data folder (or volume) and its settings. Every other
area builds on these; they import no other area."""
