package directory

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
)

// TestContainsHint: given SourceSpec.Contains, a directory source of text
// files skips the lines without the text before decoding them.
func TestContainsHint(t *testing.T) {
	env := livetest.NewEnv(t)
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	writeAt(t, filepath.Join(dir, "a.log"), "ok 1\nan ERR here\nok 2\n", old)
	writeAt(t, filepath.Join(dir, "b.log"), "ok 3\r\nERROR last", old.Add(time.Second))
	schema := arrow.NewSchema([]arrow.Field{{Name: "line", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	spec := env.Spec(schema, map[string]string{"path": dir, "pattern": "*.log", "poll_interval": "20ms"})
	spec.Contains = "ERR"
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.(connectors.Starter).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := livetest.Poll(t, src, 2, 100, wait)
	if want := "an ERR here,ERROR last"; strings.Join(got, ",") != want {
		t.Fatalf("rows %q, want %s", got, want)
	}
}

func TestContainsPushdown(t *testing.T) {
	cases := []struct {
		opts map[string]string
		want connectors.Pushdown
	}{
		{map[string]string{"format": "text"}, connectors.PushdownInexact},
		{map[string]string{"pattern": "*.log"}, connectors.PushdownInexact},
		{map[string]string{"pattern": "*.csv"}, connectors.PushdownUnsupported},
		{map[string]string{"format": "json", "pattern": "*.txt"}, connectors.PushdownUnsupported},
	}
	for _, c := range cases {
		if got := ContainsPushdown(c.opts); got != c.want {
			t.Errorf("%v: %v, want %v", c.opts, got, c.want)
		}
	}
}
