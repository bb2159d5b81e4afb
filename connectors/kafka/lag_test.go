package kafka

import (
	"maps"
	"testing"

	"github.com/weirdb/weir/connectors/live/livetest"
)

// TestSourceLag: the records between what the source delivered and the
// partition's end.
func TestSourceLag(t *testing.T) {
	addr := cluster(t, 1, "in")
	produce(t, addr, vals("in", 0, `{"v":"a"}`, `{"v":"b"}`, `{"v":"c"}`, `{"v":"d"}`, `{"v":"e"}`)...)
	env := livetest.NewEnv(t)
	s := open(t, env, schema("v VARCHAR"), map[string]string{"brokers": addr, "topic": "in"})
	if l := s.Lag(); len(l) != 0 {
		t.Fatalf("lag before any row: %v", l)
	}
	livetest.Poll(t, s, 2, 2, wait)
	if l := s.Lag(); !maps.Equal(l, map[int32]int64{0: 3}) {
		t.Errorf("lag after 2 of 5 rows: %v", l)
	}
	livetest.Poll(t, s, 3, 3, wait)
	if l := s.Lag(); !maps.Equal(l, map[int32]int64{0: 0}) {
		t.Errorf("lag after every row: %v", l)
	}
}
