"""Platform adapters: translators between a vendor's webhook format and Warmline's
(`verify(headers, body)`, `parse(...) -> Conversation`, `render(decision) -> response`).
One module per vendor; the web routes in `warmline.web.integrations` do the IO."""
