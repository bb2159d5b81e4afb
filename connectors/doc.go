// Package connectors defines the two seams between Weir and the outside
// world, Source and Sink, and a Registry that maps a table's connector
// option to the factory that builds one. Each connector lives in a
// sub-package; the command registers them explicitly.
//
// Connectors know nothing of SQL or plans: a source is handed its table's
// Arrow schema and options and yields Arrow record batches; a sink is handed
// batches and writes them.
package connectors
