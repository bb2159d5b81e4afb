package main

import (
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/file"
)

// registry registers every connector Weir ships, explicitly.
func registry() *connectors.Registry {
	r := connectors.NewRegistry()
	r.RegisterSource("file", file.NewSource)
	r.RegisterSink("file", file.NewSink)
	return r
}
