// Command weir runs continuous SQL over streams.
//
//	weir run SCRIPT.sql [--format table|csv|jsonl]
//	weir run -e 'CREATE TABLE ...; SELECT ...'
//	weir explain SCRIPT.sql
//
// Run with no script, weir runs its bundled example: a word count over a
// small text file. The command owns flags, output formats and messages;
// the engine lives in the planner, exec and connectors packages.
package main
