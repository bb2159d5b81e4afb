package main

import (
	"fmt"
	"io"
	"strings"
)

// printBenchReport prints a report as a table, with the workload's
// parameters above it.
func printBenchReport(w io.Writer, rep *benchReport) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %s lines, %.1f MB", rep.Workload, groupDigits(rep.Lines), float64(rep.Bytes)/1e6)
	if rep.Workload == "grep" {
		fmt.Fprintf(&sb, ", %s lines contain %q", groupDigits(rep.Expected.Rows), rep.Pattern)
	} else {
		fmt.Fprintf(&sb, ", %s words, %s distinct", groupDigits(rep.Words), groupDigits(rep.Expected.Distinct))
	}
	fmt.Fprintf(&sb, " (seed %d; generated in %.2fs, not counted)\n", rep.Seed, rep.GenerateSeconds)
	fmt.Fprintf(&sb, "machine: %d CPUs (GOMAXPROCS %d), %s, %s\n", rep.Machine.CPUs, rep.Machine.GOMAXPROCS, rep.Machine.CPUModel, rep.Machine.Go)
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return err
	}
	header := []string{"workload", "run", "lines/s", "MB/s", "batches", "batch p50", "batch p99", "peak mem", "CPU", "vs Go", "check"}
	var rows [][]string
	var notes []string
	for _, r := range rep.Runs {
		batches, p50, p99 := "-", "-", "-"
		if r.BatchP50Ms != nil {
			batches, p50, p99 = fmt.Sprint(r.Batches), fmtMs(*r.BatchP50Ms), fmtMs(*r.BatchP99Ms)
		}
		check := "ok"
		if !r.Check.OK {
			check = "WRONG"
		}
		mem := humanBytes(r.PeakMemBytes)
		switch r.PeakMemSource {
		case "VmHWM":
		case "VmHWM polled":
			mem += " (polled)"
		default:
			mem += " (" + r.PeakMemSource + ")"
		}
		rows = append(rows, []string{rep.Workload, r.Name, humanCount(r.LinesPerSec), fmt.Sprintf("%.1f", r.MBPerSec),
			batches, p50, p99, mem, fmt.Sprintf("%.2f cores", r.Cores), fmtRatio(r.RatioVsGo), check})
		if r.ProfileFile != "" {
			notes = append(notes, fmt.Sprintf("CPU profile of %s: %s (go tool pprof -top %s)", r.Name, r.ProfileFile, r.ProfileFile))
		}
	}
	if err := renderTable(w, header, rows); err != nil {
		return err
	}
	notes = append(notes,
		"lines/s, MB/s: input over wall time (socket: from the first byte sent to the last result row counted).",
		"batches: micro-batches that took input (file: all), p50/p99: their processing time.",
		"peak mem: peak RSS of the process (VmHWM, reset before each run; grep's polled every 5ms).",
		"CPU: user+sys CPU seconds over wall time. vs Go: lines/s over the Go baseline's.")
	if rep.File != "" {
		notes = append(notes, "text kept in "+rep.File)
	}
	_, err := io.WriteString(w, strings.Join(notes, "\n")+"\n")
	return err
}

// fmtRatio formats a ratio with two significant digits or more.
func fmtRatio(r float64) string {
	if r > 0 && r < 0.1 {
		return fmt.Sprintf("%.3fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

// fmtMs formats milliseconds.
func fmtMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.0fµs", ms*1000)
}

// humanBytes formats a byte count in MiB or GiB.
func humanBytes(n int64) string {
	if n <= 0 {
		return "-"
	}
	if n >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// groupDigits writes n with thousands separators: 2,000,000.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}
