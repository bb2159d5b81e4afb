// Package blackhole is the "blackhole" connector, Flink's: a sink that
// accepts any table's rows, append-only or an updating query's changelog,
// discards them and counts them. Benchmarks write into it so that what
// they measure is the query, not an encoder or a disk.
//
// It takes no options besides connector, so a misspelt option is an error
// when the table is created:
//
//	CREATE TABLE hole (word VARCHAR, n BIGINT) WITH (connector = 'blackhole');
//	INSERT INTO hole SELECT word, COUNT(*) FROM words GROUP BY word;
//
// The command registers it explicitly:
//
//	reg.RegisterSink("blackhole", blackhole.NewSink, blackhole.Config())
package blackhole
