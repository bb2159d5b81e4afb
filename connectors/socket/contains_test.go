package socket

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
)

// TestContainsHint: given SourceSpec.Contains, a text socket source skips
// the lines without the text before decoding them.
func TestContainsHint(t *testing.T) {
	env := livetest.NewEnv(t)
	ln, port := listen(t)
	spec := env.Spec(lineSchema, map[string]string{"port": port})
	spec.Contains = "ERR"
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.(connectors.Starter).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := accept(t, ln)
	write(t, c, "ok 1\nan ERR here\nok 2\nok 3\r\nERR")
	write(t, c, " split across writes\nERROR last\n")
	got := livetest.Poll(t, src, 3, 100, wait)
	want := []string{"an ERR here", "ERR split across writes", "ERROR last"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows\n%q\nwant\n%q", got, want)
	}
	if _, err := src.Next(context.Background(), 10); !errors.Is(err, connectors.ErrNoData) {
		t.Fatalf("Next after the rows: %v, want ErrNoData", err)
	}
}

func TestContainsPushdown(t *testing.T) {
	for opts, want := range map[string]connectors.Pushdown{
		"":     connectors.PushdownInexact,
		"text": connectors.PushdownInexact,
		"csv":  connectors.PushdownUnsupported,
		"json": connectors.PushdownUnsupported,
	} {
		if got := ContainsPushdown(map[string]string{"format": opts}); got != want {
			t.Errorf("format %q: %v, want %v", opts, got, want)
		}
	}
}
