package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/weirdb/weir/exec"
)

// printNexmarkReport prints a Nexmark report as a table, with the run's
// parameters above it and what the columns mean below.
func printNexmarkReport(w io.Writer, rep *nexmarkReport) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "nexmark: %s events per query, parallelism %d\n", groupDigits(rep.Events), rep.Parallelism)
	fmt.Fprintf(&sb, "machine: %d CPUs (GOMAXPROCS %d), %s, %s\n", rep.Machine.CPUs, rep.Machine.GOMAXPROCS, rep.Machine.CPUModel, rep.Machine.Go)
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return err
	}
	header := []string{"query", "emit", "rows out", "seconds", "events/s", "cores", "events/s/core", "peak RSS", "peak state", "Flink/core", "ratio"}
	var rows [][]string
	var notes []string
	for _, r := range rep.Queries {
		emit := "append-only"
		if r.Emit != "" {
			emit = "on update"
		}
		flink, ratio := "-", "-"
		if r.FlinkPerCore != nil {
			flink = humanCount(*r.FlinkPerCore)
		}
		if r.Ratio != nil {
			ratio = fmtRatio(*r.Ratio)
		}
		if r.Error != "" {
			rows = append(rows, []string{r.Query, emit, "FAILED", "-", "-", "-", "-", "-", "-", flink, "-"})
			notes = append(notes, fmt.Sprintf("%s failed: %s", r.Query, r.Error))
			continue
		}
		mem := humanBytes(r.PeakRSSBytes)
		if r.PeakMemSource != "VmHWM" {
			mem += " (" + r.PeakMemSource + ")"
		}
		rows = append(rows, []string{r.Query, emit, groupDigits(r.RowsOut), fmt.Sprintf("%.2f", r.Seconds),
			humanCount(r.EventsPerSec), fmt.Sprintf("%.2f", r.Cores), humanCount(r.EventsPerSecPerCore),
			mem, exec.FormatBytes(r.PeakStateBytes), flink, ratio})
		if r.Note != "" {
			notes = append(notes, r.Query+": "+r.Note)
		}
		if r.ProfileFile != "" {
			notes = append(notes, fmt.Sprintf("CPU profile of %s: %s (go tool pprof -top %s)", r.Query, r.ProfileFile, r.ProfileFile))
		}
	}
	if err := renderTable(w, header, rows); err != nil {
		return err
	}
	notes = append(notes,
		"emit: on update = updating on a stream, run with EMIT ON UPDATE (its changes emitted every micro-batch); rows out then counts every change.",
		"events/s: events of the history over wall time; cores: process user+sys CPU seconds over wall time; events/s/core: events/s over cores.",
		"peak RSS: the process's (VmHWM, reset before each query); peak state: the operators' largest state at the end of a micro-batch.",
		"Flink/core: Flink 1.13's published events/s per core (Nexmark README, 100M events, 8 workers); ratio: events/s/core over it.")
	_, err := io.WriteString(w, strings.Join(notes, "\n")+"\n")
	return err
}
