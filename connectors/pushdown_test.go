package connectors

import "testing"

func TestRegistryContains(t *testing.T) {
	r := NewRegistry()
	if got := r.Contains(map[string]string{"connector": "file"}); got != PushdownUnsupported {
		t.Errorf("undeclared connector: %v", got)
	}
	r.RegisterContains("File", func(o map[string]string) Pushdown { return TextContains(o["format"]) })
	for format, want := range map[string]Pushdown{"text": PushdownInexact, "TEXT": PushdownInexact, "csv": PushdownUnsupported} {
		if got := r.Contains(map[string]string{"connector": "FILE", "format": format}); got != want {
			t.Errorf("format %s: %v, want %v", format, got, want)
		}
	}
	if s := PushdownExact.String() + PushdownInexact.String() + PushdownUnsupported.String(); s != "exactinexactunsupported" {
		t.Errorf("names %q", s)
	}
}
