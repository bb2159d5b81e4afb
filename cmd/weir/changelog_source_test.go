package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/weirdb/weir/connectors/postgres/pgtest"
)

// dbzOrder is a row of the orders table of writeDebeziumOrders.
type dbzOrder struct {
	ID       int64  `json:"id"`
	Customer string `json:"customer"`
	Amount   int64  `json:"amount"`
}

// writeDebeziumOrders writes orders.json, n Debezium change events (reads,
// creates, updates that move orders between customers, deletes) of an
// orders table, and returns the totals per customer of the orders left,
// as "customer|n|total" lines, sorted.
func writeDebeziumOrders(t *testing.T, dir string, n int) []string {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	customers := []string{"ann", "bob", "cid", "dan", "eve"}
	live := map[int64]dbzOrder{}
	var ids []int64
	var b strings.Builder
	img := func(o dbzOrder) string { j, _ := json.Marshal(o); return string(j) }
	for i := range n {
		switch x := r.IntN(10); {
		case x < 4 || len(ids) == 0:
			o := dbzOrder{ID: int64(i), Customer: customers[r.IntN(len(customers))], Amount: 1 + r.Int64N(100)}
			op := "c"
			if i < 20 {
				op = "r"
			}
			fmt.Fprintf(&b, `{"before":null,"after":%s,"op":"%s","ts_ms":%d}`+"\n", img(o), op, i)
			live[o.ID] = o
			ids = append(ids, o.ID)
		case x < 8:
			old := live[ids[r.IntN(len(ids))]]
			o := old
			o.Customer, o.Amount = customers[r.IntN(len(customers))], 1+r.Int64N(100)
			// Half of them in the schema-enabled converter's payload.
			if i%2 == 0 {
				fmt.Fprintf(&b, `{"before":%s,"after":%s,"op":"u"}`+"\n", img(old), img(o))
			} else {
				fmt.Fprintf(&b, `{"schema":{"type":"struct"},"payload":{"before":%s,"after":%s,"op":"u"}}`+"\n", img(old), img(o))
			}
			live[o.ID] = o
		default:
			k := r.IntN(len(ids))
			old := live[ids[k]]
			ids = append(ids[:k], ids[k+1:]...)
			delete(live, old.ID)
			fmt.Fprintf(&b, `{"before":%s,"after":null,"op":"d"}`+"\n", img(old))
		}
	}
	writeFile(t, dir, "orders.json", b.String())
	count, total := map[string]int{}, map[string]int64{}
	for _, o := range live {
		count[o.Customer]++
		total[o.Customer] += o.Amount
	}
	var want []string
	for c, k := range count {
		want = append(want, fmt.Sprintf("%s|%d|%d", c, k, total[c]))
	}
	sort.Strings(want)
	return want
}

// TestRunDebeziumSourceIntoPostgresAndFile: the real binary reads a file
// of Debezium change events (format 'debezium-json', a changelog table),
// aggregates it, and writes the updating totals to a PostgreSQL table
// (upserts and deletes by the key) and to a debezium-json file; the table,
// and the file's changes replayed, hold exactly the totals of the orders
// left at the end, with checkpoints and without.
func TestRunDebeziumSourceIntoPostgresAndFile(t *testing.T) {
	for _, ck := range []bool{false, true} {
		dsn := pgtest.Start(t)
		dir := t.TempDir()
		want := writeDebeziumOrders(t, dir, 3000)
		writeFile(t, dir, "q.sql", fmt.Sprintf(`SET batch_size = 64;
CREATE TABLE orders (id BIGINT, customer VARCHAR, amount BIGINT)
  WITH (connector = 'file', path = 'orders.json', format = 'debezium-json');
CREATE TABLE totals (customer VARCHAR, n BIGINT, total BIGINT, PRIMARY KEY (customer) NOT ENFORCED)
  WITH (connector = 'postgres', dsn = '%s', table = 'customer_totals');
CREATE TABLE totals_file (customer VARCHAR, n BIGINT, total BIGINT)
  WITH (connector = 'file', path = 'totals.json', format = 'debezium-json');
INSERT INTO totals SELECT customer, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY customer;
INSERT INTO totals_file SELECT customer, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY customer;
`, dsn))
		args := []string{"run", "q.sql"}
		if ck {
			args = append(args, "--checkpoint-dir", "ck")
		}
		if _, errOut, code := runWeir(t, dir, args...); code != 0 {
			t.Fatalf("weir %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
		}
		what := fmt.Sprintf("checkpoints %v", ck)
		compareCounts(t, what+": postgres", pgTotals(t, dsn), want)
		compareCounts(t, what+": file", replayDebezium(t, filepath.Join(dir, "totals.json")), want)
	}
}

// pgTotals returns the rows of customer_totals as "customer|n|total".
func pgTotals(t *testing.T, dsn string) []string {
	t.Helper()
	return pgStrings(t, dsn, "SELECT customer || '|' || n || '|' || total FROM customer_totals")
}

// replayDebezium applies a debezium-json file of totals, keyed by
// customer, and returns what is left as "customer|n|total".
func replayDebezium(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type row struct {
		Customer string `json:"customer"`
		N        int64  `json:"n"`
		Total    int64  `json:"total"`
	}
	state := map[string]row{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev struct {
			Before *row   `json:"before"`
			After  *row   `json:"after"`
			Op     string `json:"op"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		if ev.Before != nil {
			if _, ok := state[ev.Before.Customer]; !ok {
				t.Fatalf("%s: retracts a row that is not there", sc.Text())
			}
			delete(state, ev.Before.Customer)
		}
		if ev.After != nil {
			if _, ok := state[ev.After.Customer]; ok {
				t.Fatalf("%s: inserts a row that is there", sc.Text())
			}
			state[ev.After.Customer] = *ev.After
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range state {
		got = append(got, fmt.Sprintf("%s|%d|%d", r.Customer, r.N, r.Total))
	}
	sort.Strings(got)
	return got
}
