package directory

import (
	"path"
	"strings"

	"github.com/weirdb/weir/connectors"
)

// ContainsPushdown reports how a directory source with these options takes
// a Contains hint: inexact for text files, whose decoder skips the lines
// without the text.
func ContainsPushdown(options map[string]string) connectors.Pushdown {
	format := options["format"]
	if format == "" {
		format = extFormats[strings.ToLower(path.Ext(options["pattern"]))]
	}
	return connectors.TextContains(format)
}
