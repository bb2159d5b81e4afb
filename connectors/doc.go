// Package connectors defines the two seams between Weir and the outside
// world, Source and Sink, and a Registry that maps a table's connector
// option to the factory that builds one. Each connector lives in a
// sub-package; the command registers them explicitly, each with a
// ConfigSpec that declares the WITH options it takes (name, type, default,
// one-line doc, as Flink's ConfigOptions do). Registry.CheckOptions checks
// a table's options against it when the table is created: an unknown key
// is an error naming the closest declared one, and each value must parse
// as its option's type. Options every source takes (SourceOptions), those
// of sources that read records (RecordOptions) and the csv format's
// (CSVOptions) are declared once and shared.
//
// Connectors know nothing of SQL or plans: a source is handed its table's
// Arrow schema and options and yields Arrow record batches; a sink is handed
// batches and writes them.
package connectors
