package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering enforces DESIGN.md §3: dependencies point one way, down
// this list (packages in one tree, such as connectors/..., may use each
// other), and vector and catalog depend on Arrow alone.
func TestLayering(t *testing.T) {
	const mod = "github.com/weirdb/weir/"
	rank := []string{"cmd", "planner", "sql", "catalog", "exec", "connectors", "vector", "bench"}
	rankOf := func(pkg string) int {
		top, _, _ := strings.Cut(strings.TrimPrefix(pkg, mod), "/")
		for i, r := range rank {
			if r == top {
				return i
			}
		}
		return -1
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/weirdb/weir/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		from := rankOf(pkg)
		if from < 0 {
			t.Errorf("package %s is not in DESIGN.md's layout", pkg)
			continue
		}
		checked++
		arrowOnly := rank[from] == "vector" || rank[from] == "catalog"
		for _, imp := range imports {
			switch {
			case strings.HasPrefix(imp, mod):
				if to := rankOf(imp); to < from || (to == from && rank[from] != "connectors") {
					t.Errorf("%s imports %s: dependencies must point down (%s)", pkg, imp, strings.Join(rank, " > "))
				}
			case arrowOnly && strings.Contains(imp, ".") && !strings.HasPrefix(imp, "github.com/apache/arrow-go/"):
				t.Errorf("%s imports %s: %s depends on Arrow alone", pkg, imp, rank[from])
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages", checked)
	}
}
