package main

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed example/*
var exampleFS embed.FS

// examples are the bundled examples by name, with what they do.
var examples = map[string]string{
	"wordcount": "words per minute in a small application log (the default with no script)",
	"live":      "a word count over generated words that runs until Ctrl-C; watch it with --http",
}

// exampleScript writes the bundled example name's files (its script
// example/NAME.sql and the data files beside the scripts) to a new
// temporary directory and returns its script and that directory.
func exampleScript(name string) (script, dir string, err error) {
	if _, ok := examples[name]; !ok {
		return "", "", fmt.Errorf("--example %q: no such example (have live, wordcount)", name)
	}
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
			if e.Name() == name+".sql" {
				script = string(b)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return "", "", err
		}
	}
	return script, dir, nil
}
