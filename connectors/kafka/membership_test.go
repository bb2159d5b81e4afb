package kafka

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// owners records which member owns each partition and fails the test
// when two own one at the same time.
type owners struct {
	t  *testing.T
	mu sync.Mutex
	by map[int32]string
}

func (o *owners) config(addr []string, name string) MembershipConfig {
	return MembershipConfig{Brokers: addr, Topic: "words", Group: "g", SessionTimeout: 6 * time.Second,
		Assigned: func(_ context.Context, ps []int32) {
			o.mu.Lock()
			defer o.mu.Unlock()
			for _, p := range ps {
				if by, ok := o.by[p]; ok {
					o.t.Errorf("partition %d assigned to %s while %s owns it", p, name, by)
				}
				o.by[p] = name
			}
		},
		Revoked: func(_ context.Context, ps []int32) {
			o.mu.Lock()
			defer o.mu.Unlock()
			for _, p := range ps {
				delete(o.by, p)
			}
		},
	}
}

// counts returns how many partitions each member owns.
func (o *owners) counts() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := map[string]int{}
	for _, by := range o.by {
		n[by]++
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMembershipSharesPartitions: processes joining one group share the
// topic's six partitions, never two owning one at once; one leaving hands
// its partitions to the others.
func TestMembershipSharesPartitions(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, "words"), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o := &owners{t: t, by: map[int32]string{}}
	a, err := JoinGroup(o.config(c.ListenAddrs(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a to own all six", func() bool { return o.counts()["a"] == 6 && len(a.Owned()) == 6 })
	b, err := JoinGroup(o.config(c.ListenAddrs(), "b"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a and b to own three each", func() bool { n := o.counts(); return n["a"] == 3 && n["b"] == 3 })
	d, err := JoinGroup(o.config(c.ListenAddrs(), "d"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two each", func() bool { n := o.counts(); return n["a"] == 2 && n["b"] == 2 && n["d"] == 2 })
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a and d to own three each", func() bool { n := o.counts(); return n["a"] == 3 && n["d"] == 3 && n["b"] == 0 })
	got := fmt.Sprint(len(a.Owned()) + len(d.Owned()))
	if got != "6" {
		t.Errorf("a and d own %s partitions, want 6", got)
	}
	a.Close()
	d.Close()
}

// TestMembershipCommits: a member commits offsets of the partitions it
// owns, not of others, and reads the group's committed offsets back.
func TestMembershipCommits(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "words"), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o := &owners{t: t, by: map[int32]string{}}
	a, err := JoinGroup(o.config(c.ListenAddrs(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	waitFor(t, "a to own both", func() bool { return len(a.Owned()) == 2 })
	ctx := context.Background()
	if got, err := a.Committed(ctx, []int32{0, 1}); err != nil || len(got) != 0 {
		t.Fatalf("committed before any commit: %v, %v", got, err)
	}
	if err := a.Commit(map[int32]int64{0: 5, 1: 7, 9: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := a.Committed(ctx, []int32{0, 1})
	if err != nil || fmt.Sprint(got) != "map[0:5 1:7]" {
		t.Errorf("committed %v, %v; want map[0:5 1:7]", got, err)
	}
}
