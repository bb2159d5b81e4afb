// Package datagen is the "datagen" connector: a live source that makes up
// rows at a steady rate, like Flink's datagen connector, for demos, tests
// and benchmarks.
//
// Table options (keys lower-case; '-' and '_' are interchangeable, so
// Flink's spellings work too; Config declares them, with the options every
// source takes):
//
//	rows_per_second  rows generated per second (default 1000; decimals
//	                 allowed)
//	number_of_rows   stop after this many rows; the source is then bounded
//	                 and Next returns connectors.ErrEndOfInput at the end
//	seed             seed of the random values (default: random, logged);
//	                 with a seed every column's values are the same on
//	                 every run, row by row (timestamps excepted). Weir's
//	                 planner gives a table without one a seed when it is
//	                 first read, kept for the session, so that every query
//	                 over a bounded datagen table sees the same rows
//	buffer_bytes     how many bytes of rows may wait for the query
//	                 (default 4MiB); while they do, generation pauses
//
// Per column, fields.<column>.<option>:
//
//	kind       random (default) or sequence (BIGINT only)
//	min, max   random BIGINT (inclusive; default 0 and 1000) or DOUBLE
//	           (max exclusive; default 0 and 1)
//	start, end sequence: the first value (default 0) and the last; with
//	           an end, the source ends after it (bounded) unless wrap
//	wrap       sequence: 'true' starts again at start after end
//	length     VARCHAR: a random string of this many characters [a-z0-9]
//	words      VARCHAR: a line of this many words separated by spaces
//	           (default: one word); words come from a fixed vocabulary of
//	           1000 English-like words (see Vocabulary)
//	null_rate  the chance, 0 to 1, that a value is NULL (default 0)
//	max_past   TIMESTAMP: make each value the generation time minus a
//	           random delay of up to this much ('5s'), out of order
//
// BOOLEAN values are random; TIMESTAMP values are the wall-clock time of
// generation, spread over the interval each batch was generated in. An
// option naming a column the table lacks, an option that does not apply
// to a column's type, or a bad value is an error naming the option.
//
// Rate control: rows are generated in small batches every 10ms, as many as
// the rate calls for since the start, so the rate holds over a second to
// within a few percent. When the query falls behind and the buffer is
// full, generation waits; afterwards it catches up by at most one second's
// worth of rows.
//
// The command registers the connector explicitly:
//
//	reg.RegisterSource("datagen", datagen.NewSource, datagen.Config())
package datagen
