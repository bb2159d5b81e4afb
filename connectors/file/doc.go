// Package file is the "file" connector: a bounded source that reads one
// file of CSV, JSON lines or text, and a sink that writes JSON lines or CSV
// to one file.
//
// Table options (keys lower-case):
//
//	path       the file, relative to the working directory (required)
//	format     csv, json (also jsonl, ndjson) or text for a source, json or
//	           csv for a sink; if left out, taken from the path's extension
//	           (.csv; .json, .jsonl, .ndjson; .txt, .log, .text)
//	header     csv: whether the first line names the columns (default true)
//	delimiter  csv: the field separator (default ","; "\t" or "tab" for tabs)
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("file", file.NewSource)
//	reg.RegisterSink("file", file.NewSink)
package file
