package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// stdinInput is where a script may come from when none is named: the
// process's standard input, unless it is a terminal.
type stdinInput struct {
	r        io.Reader
	terminal bool
}

// processStdin describes os.Stdin.
func processStdin() stdinInput {
	return stdinInput{r: os.Stdin, terminal: isTerminal(os.Stdin)}
}

// loadScript returns the script text from -e, a file, standard input
// (the path "-", or no path and a standard input that is not a terminal
// and holds more than white space), or else the bundled example; dir is
// the directory to run in ("" for the current one). Reading standard
// input stops when ctx is done.
func loadScript(ctx context.Context, exprs []string, args []string, stdin stdinInput) (script, dir string, err error) {
	switch {
	case len(exprs) > 0 && len(args) > 0:
		return "", "", fmt.Errorf("give a script or -e, not both")
	case len(exprs) > 0:
		for _, e := range exprs {
			script += e + ";\n"
		}
		return script, "", nil
	case len(args) == 1 && args[0] == "-":
		return readStdin(ctx, stdin.r)
	case len(args) == 1:
		b, err := os.ReadFile(args[0])
		if err != nil {
			return "", "", err
		}
		return string(b), "", nil
	case stdin.r != nil && !stdin.terminal:
		script, _, err := readStdin(ctx, stdin.r)
		if err != nil || strings.TrimSpace(script) != "" {
			return script, "", err
		}
		// Empty (</dev/null, as under CI): the bundled example, as on a terminal.
	}
	return exampleScript("wordcount")
}

// readStdin reads r to its end, or until ctx is done (Ctrl-C while a
// pipe stays open).
func readStdin(ctx context.Context, r io.Reader) (script, dir string, err error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(r)
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return "", "", fmt.Errorf("reading the script from standard input: %w", res.err)
		}
		return string(res.b), "", nil
	case <-ctx.Done():
		return "", "", fmt.Errorf("stopped while reading the script from standard input")
	}
}
