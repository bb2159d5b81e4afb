package file

import (
	"testing"

	"github.com/weirdb/weir/connectors"
)

func TestContainsPushdown(t *testing.T) {
	cases := []struct {
		opts map[string]string
		want connectors.Pushdown
	}{
		{map[string]string{"format": "text", "path": "x.csv"}, connectors.PushdownInexact},
		{map[string]string{"path": "app.log"}, connectors.PushdownInexact},
		{map[string]string{"path": "book.TXT"}, connectors.PushdownInexact},
		{map[string]string{"path": "x.csv"}, connectors.PushdownUnsupported},
		{map[string]string{"format": "json", "path": "x.txt"}, connectors.PushdownUnsupported},
	}
	for _, c := range cases {
		if got := ContainsPushdown(c.opts); got != c.want {
			t.Errorf("%v: %v, want %v", c.opts, got, c.want)
		}
	}
}
