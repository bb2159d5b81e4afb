package bench

import (
	"strings"
	"testing"
)

// Every query of the Nexmark repository is embedded, q0 to q23 in order,
// each with a sink table nexmark_qN and an INSERT INTO it.
func TestNexmarkQueryTexts(t *testing.T) {
	names := NexmarkQueryNames()
	if len(names) != 24 || names[0] != "q0" || names[2] != "q2" || names[10] != "q10" || names[23] != "q23" {
		t.Fatalf("queries %v, want q0 to q23 in numeric order", names)
	}
	for _, n := range names {
		q, err := NexmarkQuery(n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(q, "CREATE TABLE nexmark_"+n) || !strings.Contains(q, "INSERT INTO nexmark_"+n) {
			t.Errorf("%s: no sink table nexmark_%s and INSERT INTO it", n, n)
		}
	}
	if _, err := NexmarkQuery("q99"); err == nil || !strings.HasPrefix(err.Error(), `no Nexmark query "q99" (have q0, q1, q2,`) {
		t.Errorf("got %v", err)
	}
}

// With Sink, the sink table keeps its columns and becomes a blackhole
// table (q10's filesystem table too), the INSERT INTO stays and takes the
// EMIT clause; without, both go and the query is a SELECT.
func TestNexmarkScript(t *testing.T) {
	q10, _ := NexmarkQuery("q10")
	got := NexmarkScript(q10, NexmarkScriptConfig{Tables: "-- tables\n", Sink: true, Emit: "EMIT ON UPDATE"})
	want := "-- tables\nCREATE TABLE nexmark_q10 (\n  auction  BIGINT,\n  bidder  BIGINT,\n  price  BIGINT,\n  `dateTime`  TIMESTAMP(3),\n  extra  VARCHAR,\n  dt STRING,\n  hm STRING\n) WITH ('connector' = 'blackhole');\n" +
		"INSERT INTO nexmark_q10\nSELECT auction, bidder, price, `dateTime`, extra, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd'), DATE_FORMAT(`dateTime`, 'HH:mm')\nFROM bid EMIT ON UPDATE;\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	q13, _ := NexmarkQuery("q13")
	got = NexmarkScript(q13, NexmarkScriptConfig{SideInput: "/tmp/it's.csv"})
	if !strings.HasPrefix(got, "CREATE TABLE side_input (`key` BIGINT, `value` VARCHAR) WITH (connector = 'file', path = '/tmp/it''s.csv', format = 'csv');\nSELECT\n    B.auction,") ||
		strings.Contains(got, "nexmark_q13") {
		t.Errorf("got\n%s", got)
	}
	q14, _ := NexmarkQuery("q14")
	got = NexmarkScript(q14, NexmarkScriptConfig{Sink: true})
	if !strings.HasPrefix(got, "CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS BIGINT AS 'LENGTH(s) - LENGTH(REPLACE(s, c, ''''))';\nCREATE TABLE nexmark_q14 (\n    auction BIGINT,") ||
		!strings.Contains(got, "    price  DECIMAL(23, 3),") || !strings.Contains(got, ") WITH ('connector' = 'blackhole');\nINSERT INTO nexmark_q14\n") {
		t.Errorf("got\n%s", got)
	}
}

// SinkTable replaces the sink table.
func TestNexmarkScriptSinkTable(t *testing.T) {
	q0, _ := NexmarkQuery("q0")
	got := NexmarkScript(q0, NexmarkScriptConfig{Sink: true, SinkTable: "CREATE TABLE nexmark_q0 (c1 BIGINT) WITH ('connector' = 'blackhole')"})
	want := "CREATE TABLE nexmark_q0 (c1 BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO nexmark_q0\nSELECT auction, bidder, price, `dateTime`, extra FROM bid;\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// The DDL declares the three tables with the history's length.
func TestNexmarkDDL(t *testing.T) {
	ddl := NexmarkDDL(20000)
	for _, kind := range []string{"person", "auction", "bid"} {
		if !strings.Contains(ddl, "CREATE TABLE "+kind+" (") || !strings.Contains(ddl, "'nexmark.table.type' = '"+kind+"', 'nexmark.events' = '20000'") {
			t.Errorf("no %s table of 20000 events:\n%s", kind, ddl)
		}
	}
	if side := NexmarkSideInput(); !strings.HasPrefix(side, "key,value\n0,v0\n1,v7\n") || strings.Count(side, "\n") != 10001 {
		t.Errorf("side input starts %q, %d lines", side[:30], strings.Count(side, "\n"))
	}
}
