// Package format decodes records (CSV, JSON lines, plain text lines) into
// Arrow record batches of a given schema, and encodes batches back into
// CSV or JSON lines. Sources and sinks of every connector share it.
package format
