"""Renderings both front ends share: escaping of untrusted text, and the endpoint map as a table,
JSON, Markdown or one HTML page."""
