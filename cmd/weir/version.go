package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// versionText describes the binary from its build information: the
// module version (or the one set with -ldflags -X main.version), the VCS
// revision and its time, and the Go toolchain. Missing facts read
// "unknown", so a binary built without VCS stamping still answers.
func versionText(bi *debug.BuildInfo, ok bool) string {
	mod, rev, when, modified := "unknown", "unknown", "unknown", ""
	if ok && bi != nil {
		if bi.Main.Version != "" {
			mod = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (with uncommitted changes)"
				}
			}
		}
	}
	if version != "dev" { // set by the build
		mod = version
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "weir %s\n", mod)
	fmt.Fprintf(&sb, "revision %s%s\n", rev, modified)
	fmt.Fprintf(&sb, "revision time %s\n", when)
	fmt.Fprintf(&sb, "built with %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return sb.String()
}

// buildVersion is versionText of the running binary.
func buildVersion() string {
	return versionText(debug.ReadBuildInfo())
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision and Go toolchain of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), buildVersion())
			return err
		},
	}
}
