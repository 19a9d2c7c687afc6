"""What to do now: the situation read from a conversation, the engine's decision (mode, route,
queue, experiment arm), the brief and the SIP header, and what is masked when written.
Rule: may read `policy` and `language`; imports nothing from `analytics`."""
