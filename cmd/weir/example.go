package main

import (
	"embed"
	"os"
	"path/filepath"
)

//go:embed example/*
var exampleFS embed.FS

// exampleScript writes the bundled example's files to a new temporary
// directory and returns its script and that directory.
func exampleScript() (script, dir string, err error) {
	dir, err = os.MkdirTemp("", "weir-example-")
	if err != nil {
		return "", "", err
	}
	entries, err := exampleFS.ReadDir("example")
	if err != nil {
		return "", "", err
	}
	for _, e := range entries {
		b, err := exampleFS.ReadFile("example/" + e.Name())
		if err != nil {
			return "", "", err
		}
		if filepath.Ext(e.Name()) == ".sql" {
			script = string(b)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return "", "", err
		}
	}
	return script, dir, nil
}
