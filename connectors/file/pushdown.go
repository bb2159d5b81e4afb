package file

import (
	"path/filepath"
	"strings"

	"github.com/weirdb/weir/connectors"
)

// ContainsPushdown reports how a file source with these options takes a
// Contains hint: inexact for text files, whose decoder skips the lines
// without the text.
func ContainsPushdown(options map[string]string) connectors.Pushdown {
	format := options["format"]
	if format == "" {
		format = sourceFormats[strings.ToLower(filepath.Ext(options["path"]))]
	}
	return connectors.TextContains(format)
}
