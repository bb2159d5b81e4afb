package main

import (
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/blackhole"
	"github.com/weirdb/weir/connectors/dashboard"
	"github.com/weirdb/weir/connectors/datagen"
	"github.com/weirdb/weir/connectors/directory"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/connectors/kafka"
	"github.com/weirdb/weir/connectors/nexmark"
	"github.com/weirdb/weir/connectors/postgres"
	"github.com/weirdb/weir/connectors/socket"
)

// registry registers every connector Weir ships, explicitly, each with
// the options it declares.
func registry() *connectors.Registry {
	r := connectors.NewRegistry()
	r.RegisterSource("file", file.NewSource, file.SourceConfig())
	r.RegisterSink("file", file.NewSink, file.SinkConfig())
	r.RegisterSource("socket", socket.NewSource, socket.Config())
	r.RegisterSource("kafka", kafka.NewSource, kafka.SourceConfig())
	r.RegisterSource("directory", directory.NewSource, directory.Config())
	r.RegisterSource("datagen", datagen.NewSource, datagen.Config())
	r.RegisterSource("nexmark", nexmark.NewSource, nexmark.Config())
	r.RegisterSink("blackhole", blackhole.NewSink, blackhole.Config())
	r.RegisterSink("dashboard", dashboard.NewSink, dashboard.Config())
	r.RegisterSink("kafka", kafka.NewSink, kafka.SinkConfig())
	r.RegisterSink("postgres", postgres.NewSink, postgres.Config())
	// Sources that can skip rows for a LIKE '%text%' filter (EXPLAIN
	// shows it as pushed on the Scan).
	r.RegisterContains("file", file.ContainsPushdown)
	r.RegisterContains("socket", socket.ContainsPushdown)
	r.RegisterContains("directory", directory.ContainsPushdown)
	// Sources that run the leading row-wise operators on their workers.
	r.RegisterTransform("file", file.Transforms)
	r.RegisterTransform("nexmark", nexmark.TransformsAhead)
	return r
}
