package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/weirdb/weir/sql"
)

// version, when the build sets it (-ldflags "-X main.version=v1.2.3"),
// replaces the module version in `weir version`.
var version = "dev"

func main() {
	root := &cobra.Command{
		Use:   "weir",
		Short: "Weir runs continuous SQL over streams",
		Long: `Weir runs continuous SQL over streams: register files, directories and sockets
as tables, then query them with tumbling and hopping windows. Queries run as
micro-batches over Apache Arrow columns, with window aggregates kept
incrementally.

Examples:
  weir run                                  run the bundled word-count example
  weir run query.sql --format jsonl         run a script, one JSON object per row
  weir run -e "CREATE TABLE t (...) WITH (...); SELECT ..."
  weir explain query.sql                    show how each query would run`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}")
	root.AddCommand(newRunCmd(), newExplainCmd(), newShellCmd(), newVersionCmd())
	root.AddCommand(newBenchCmd())
	root.AddCommand(newConnectorsCmd())
	root.AddCommand(newKafkaCmd())
	if err := root.Execute(); err != nil {
		report(err)
		os.Exit(exitCode(err))
	}
}

// exitError carries an exit status for errors already reported.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// report prints err for a person: a positioned SQL error with the
// offending text underlined, anything else on one line.
func report(err error) {
	var ee exitError
	if errors.As(err, &ee) {
		return
	}
	var se *sql.Error
	if errors.As(err, &se) {
		fmt.Fprintf(os.Stderr, "weir: %s\n", se.Pretty())
		return
	}
	fmt.Fprintf(os.Stderr, "weir: %v\n", err)
}
