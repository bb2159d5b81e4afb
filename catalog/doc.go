// Package catalog holds the streams and sinks a session has registered:
// their names, Arrow schemas, connector options and watermark declarations.
//
// It depends on Arrow alone; planners read it, connectors never see it.
package catalog
