package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/weirdb/weir/planner"
)

// newConnectorsCmd is `weir connectors`: every connector and the WITH
// options it takes, as SHOW CONNECTORS lists them.
func newConnectorsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "connectors",
		Short: "List the connectors and their WITH options",
		Long: `List every connector (the connector = '...' of CREATE TABLE ... WITH) with
the options it takes: type, default and what each does. The same table is
SHOW CONNECTORS in SQL.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printConnectors(cmd.OutOrStdout())
		},
	}
}

// printConnectors writes one section per connector and kind: a title line
// with its summary, then a table of its options.
func printConnectors(w io.Writer) error {
	var buf bytes.Buffer
	for i, c := range planner.ConnectorDocs(registry()) {
		if i > 0 {
			buf.WriteByte('\n')
		}
		fmt.Fprintf(&buf, "%s (%s): %s\n", c.Name, c.Kind, c.Spec.Summary)
		rows := make([][]string, 0, len(c.Spec.Options))
		for _, o := range c.Spec.Options {
			rows = append(rows, []string{o.Name, planner.OptionTypeName(o), planner.OptionDefault(o), o.Doc})
		}
		if err := renderTable(&buf, []string{"option", "type", "default", "doc"}, rows); err != nil {
			return err
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}
