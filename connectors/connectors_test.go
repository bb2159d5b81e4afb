package connectors

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

type nopSource struct{}

func (nopSource) Schema() *arrow.Schema { return arrow.NewSchema(nil, nil) }
func (nopSource) Next(context.Context, int) (arrow.RecordBatch, error) {
	return nil, ErrEndOfInput
}
func (nopSource) Close() error { return nil }

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	r.RegisterSource("Nop", func(SourceSpec) (Source, error) { return nopSource{}, nil })
	if !r.HasSource("nop") || r.HasSink("nop") {
		t.Fatal("registration is not case-insensitive or leaks into sinks")
	}
	if _, err := r.OpenSource(SourceSpec{Table: "t", Options: map[string]string{"connector": "NOP"}}); err != nil {
		t.Fatal(err)
	}
	_, err := r.OpenSource(SourceSpec{Table: "t", Options: map[string]string{"connector": "kafka"}})
	if err == nil || !strings.Contains(err.Error(), `unknown source connector "kafka" (have nop)`) {
		t.Errorf("unknown connector: %v", err)
	}
	_, err = r.OpenSink(SinkSpec{Table: "t", Options: map[string]string{"connector": "nop"}})
	if err == nil || !strings.Contains(err.Error(), "(have none)") {
		t.Errorf("unknown sink: %v", err)
	}
}
