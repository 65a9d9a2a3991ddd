"""API views, one module per resource. Thin: parse, call a service or query, serialize."""
