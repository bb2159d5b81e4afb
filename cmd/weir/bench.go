package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirdb/weir/bench"
	wexec "github.com/weirdb/weir/exec"
)

// benchFlags are the flags of `weir bench wordcount` and `weir bench grep`.
type benchFlags struct {
	lines         int
	seed          uint64
	pattern       string
	source        string
	batchInterval time.Duration
	json          bool
	keep          string
	cpuProfile    string
	socketBuffer  string
	progress      bool
}

// newBenchCmd is `weir bench`, the bundled benchmarks.
func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run the bundled benchmarks (wordcount, grep against plain baselines; nexmark against Flink's figures)",
		Long: `Bench generates a text file of ~100-byte lines of Zipf-distributed words (about
1% of them contain ERROR), deterministically from --seed, then runs a workload
over it with the real engine, in-process, exactly as weir run would: once
reading the file (connector 'file') and once receiving it over a loopback TCP
connection (connector 'socket', micro-batches every --batch-interval). Plain
single-threaded Go programs over the same file (and grep -c, when grep is on
PATH) run as baselines. Every run's result is checked against the baseline's
exact counts.

Reported per run: input lines/s and MB/s; micro-batch processing time p50 and
p99; peak memory (the process's peak RSS, VmHWM, reset before each run; for
grep(1) its max RSS); CPU (user+sys CPU seconds over wall time, in cores); the
ratio of lines/s to the Go baseline's. A socket run is timed from the first
byte written to the last result row counted. Generation time is reported
apart.`,
		// The runs take the collector's setting weir run takes.
		PersistentPreRun: func(*cobra.Command, []string) { wexec.BoundGCHeadroom() },
	}
	cmd.AddCommand(newBenchWorkloadCmd("wordcount"), newBenchWorkloadCmd("grep"), newBenchNexmarkCmd(), newBenchKafkaCmd())
	return cmd
}

func newBenchWorkloadCmd(workload string) *cobra.Command {
	f := &benchFlags{}
	short := map[string]string{
		"wordcount": "Count words: UNNEST(STRING_TO_ARRAY(line, ' ')) ... GROUP BY word",
		"grep":      "Select the lines containing a pattern: WHERE line LIKE '%ERROR%'",
	}[workload]
	cmd := &cobra.Command{
		Use:   workload + " [flags]",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchMain(cmd.Context(), workload, f, os.Stdout, os.Stderr)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.lines, "lines", 2_000_000, "lines of text to generate")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the generated text")
	if workload == "grep" {
		fl.StringVar(&f.pattern, "pattern", "ERROR", "the literal put into ~1% of the lines and searched for (no % _ \\ or ')")
	}
	fl.StringVar(&f.source, "source", "both", "how the engine reads the text: file, socket or both")
	fl.DurationVar(&f.batchInterval, "batch-interval", 500*time.Millisecond, "micro-batch interval of the socket runs (whole milliseconds)")
	fl.StringVar(&f.socketBuffer, "socket-buffer", "", "buffer_bytes option of the socket table, e.g. 64MiB (default: the connector's, 4MiB)")
	fl.BoolVar(&f.json, "json", false, "print one JSON object with all figures on stdout instead of the table")
	fl.StringVar(&f.keep, "keep", "", "generate the text into this directory and keep it (default: a temporary directory, removed)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the engine run to this file (with --source both, the socket run's goes to FILE.socket)")
	fl.BoolVar(&f.progress, "progress", true, "show a progress line on stderr when it is a terminal")
	return cmd
}

// benchReport is the result of one `weir bench` command, as printed by
// --json.
type benchReport struct {
	Workload string `json:"workload"`
	// Date is when the benchmark ran (RFC 3339, UTC).
	Date    string       `json:"date"`
	Machine benchMachine `json:"machine"`
	Seed    uint64       `json:"seed"`
	Pattern string       `json:"pattern,omitempty"`
	// BatchInterval is the socket runs' micro-batch interval.
	BatchInterval string `json:"batch_interval"`
	// File is the generated text, when --keep kept it.
	File string `json:"file,omitempty"`
	// Lines, Bytes and Words generated; Matches: lines the pattern was
	// put into.
	Lines   int64 `json:"lines"`
	Bytes   int64 `json:"bytes"`
	Words   int64 `json:"words"`
	Matches int64 `json:"matches"`
	// GenerateSeconds is how long generating the file took (not part of
	// any run's figures).
	GenerateSeconds float64 `json:"generate_seconds"`
	// Expected is what every run must find: grep, the matching lines;
	// wordcount, the total and distinct words.
	Expected benchExpected `json:"expected"`
	Runs     []benchRun    `json:"runs"`
	// OK is true when every run's check passed.
	OK bool `json:"ok"`
}

// benchMachine describes where the benchmark ran.
type benchMachine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Go         string `json:"go"`
}

// benchExpected is the correct answer of a workload.
type benchExpected struct {
	Rows     int64 `json:"rows,omitempty"`
	Words    int64 `json:"words,omitempty"`
	Distinct int64 `json:"distinct,omitempty"`
}

// benchRun is one measured run.
type benchRun struct {
	// Name is "weir file", "weir socket", "go baseline" or "grep -c".
	Name string `json:"name"`
	// Engine is true for Weir's runs.
	Engine bool `json:"engine"`
	// Source is file, socket, go or grep.
	Source  string  `json:"source"`
	Seconds float64 `json:"seconds"`
	// LinesPerSec and MBPerSec are input lines and megabytes (1e6 bytes)
	// per second of Seconds.
	LinesPerSec float64 `json:"lines_per_sec"`
	MBPerSec    float64 `json:"mb_per_sec"`
	// Batches is the number of micro-batches (engine runs; at most the
	// last 1024 are kept for the percentiles), BatchP50Ms and BatchP99Ms
	// their processing time.
	Batches    int      `json:"batches,omitempty"`
	BatchP50Ms *float64 `json:"batch_p50_ms,omitempty"`
	BatchP99Ms *float64 `json:"batch_p99_ms,omitempty"`
	// PeakMemBytes is the peak memory, measured as PeakMemSource says:
	// "VmHWM" (peak RSS of this process, reset before the run), "VmRSS"
	// (sampled every 50ms), "maxrss" (a child process's), or "HeapInuse"
	// (sampled every 50ms).
	PeakMemBytes  int64  `json:"peak_mem_bytes"`
	PeakMemSource string `json:"peak_mem_source"`
	// PeakHeapInuseBytes is the Go heap in use, sampled every 50ms
	// (in-process runs).
	PeakHeapInuseBytes int64 `json:"peak_heap_inuse_bytes,omitempty"`
	// CPUSeconds is user+sys CPU time; Cores is CPUSeconds/Seconds.
	CPUSeconds float64 `json:"cpu_seconds"`
	Cores      float64 `json:"cores"`
	// RatioVsGo is LinesPerSec over the Go baseline's.
	RatioVsGo float64 `json:"ratio_vs_go"`
	// ProfileFile is the CPU profile written (--cpuprofile).
	ProfileFile string     `json:"profile_file,omitempty"`
	Check       benchCheck `json:"check"`
}

// benchCheck is a run's result, compared with the expected one.
type benchCheck struct {
	OK bool `json:"ok"`
	// Rows is the number of result rows (grep: matching lines).
	Rows int64 `json:"rows"`
	// Words is the sum of the counts, Distinct the number of distinct
	// words (wordcount).
	Words    int64 `json:"words,omitempty"`
	Distinct int64 `json:"distinct,omitempty"`
	// Detail says what is wrong, when OK is false.
	Detail string `json:"detail,omitempty"`
}

func benchMain(ctx context.Context, workload string, f *benchFlags, stdout, stderr io.Writer) error {
	if err := f.validate(workload); err != nil {
		return err
	}
	rep := &benchReport{
		Workload: workload, Date: time.Now().UTC().Format(time.RFC3339), Machine: machineInfo(),
		Seed: f.seed, Pattern: f.pattern, BatchInterval: f.batchInterval.String(),
	}
	// Ctrl-C stops the benchmark between phases (and an engine run at
	// once) so that the generated text is removed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	prog := newBenchProgress(stderr, f.progress && isTerminal(stderr))
	defer prog.stop()

	// Generate the text.
	dir := f.keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "weir-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	path := filepath.Join(dir, workload+".txt")
	if f.keep != "" {
		rep.File = path
	}
	cfg := bench.DefaultText(f.lines, f.seed)
	if workload == "grep" {
		cfg.Pattern = f.pattern
	}
	var genDone atomic.Int64
	prog.phase("generating "+filepath.Base(path), genDone.Load, int64(f.lines))
	start := time.Now()
	st, err := generateFile(path, cfg, &genDone)
	if err != nil {
		return err
	}
	rep.GenerateSeconds = time.Since(start).Seconds()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rep.Lines, rep.Bytes, rep.Words, rep.Matches = st.Lines, st.Bytes, st.Words, st.Matches

	b := &benchRunner{workload: workload, f: f, path: path, gen: st, prog: prog, stderr: stderr}
	// Baselines first: they read the file into the page cache, so that no
	// run pays for the disk.
	goRun, err := b.goBaseline()
	if err != nil {
		return err
	}
	rep.Runs = append(rep.Runs, goRun)
	rep.Expected = b.expected()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if workload == "grep" {
		if r, ok, err := b.grepBaseline(); err != nil {
			return err
		} else if ok {
			rep.Runs = append(rep.Runs, r)
		}
	}
	for _, src := range f.sources() {
		profile := f.cpuProfile
		if profile != "" && f.source == "both" && src == "socket" {
			profile += ".socket"
		}
		r, err := b.engine(ctx, src, profile)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("weir %s run: %w", src, err)
		}
		rep.Runs = append(rep.Runs, r)
	}
	prog.stop()

	rep.OK = true
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if goRun.LinesPerSec > 0 {
			r.RatioVsGo = r.LinesPerSec / goRun.LinesPerSec
		}
		rep.OK = rep.OK && r.Check.OK
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := printBenchReport(stdout, rep); err != nil {
		return err
	}
	if !rep.OK {
		for _, r := range rep.Runs {
			if !r.Check.OK {
				fmt.Fprintf(stderr, "weir: bench %s, %s: wrong result: %s\n", workload, r.Name, r.Check.Detail)
			}
		}
		return exitError{1}
	}
	return nil
}

func (f *benchFlags) validate(workload string) error {
	if f.lines <= 0 {
		return fmt.Errorf("--lines %d: want a positive number", f.lines)
	}
	switch f.source {
	case "file", "socket", "both":
	default:
		return fmt.Errorf("--source %q: use file, socket or both", f.source)
	}
	if f.batchInterval < time.Millisecond || f.batchInterval%time.Millisecond != 0 {
		return fmt.Errorf("--batch-interval %s: want whole milliseconds, at least 1ms", f.batchInterval)
	}
	if workload == "grep" && (f.pattern == "" || strings.ContainsAny(f.pattern, "%_\\'\n\r")) {
		return fmt.Errorf("--pattern %q: want a non-empty literal without %%, _, \\, ' or newlines", f.pattern)
	}
	return nil
}

func (f *benchFlags) sources() []string {
	if f.source == "both" {
		return []string{"file", "socket"}
	}
	return []string{f.source}
}

// generateFile writes the text to path.
func generateFile(path string, cfg bench.TextConfig, progress *atomic.Int64) (bench.TextStats, error) {
	out, err := os.Create(path)
	if err != nil {
		return bench.TextStats{}, err
	}
	st, err := bench.GenerateText(out, cfg, progress)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return st, err
}

// benchRunner runs one workload's baselines and engine runs over a file.
type benchRunner struct {
	workload string
	f        *benchFlags
	path     string
	gen      bench.TextStats
	prog     *benchProgress
	stderr   io.Writer
	// The Go baseline's answer, which the other runs must match.
	grep bench.GrepResult
	wc   bench.WordCountResult
}

// expected is the answer every run must give.
func (b *benchRunner) expected() benchExpected {
	if b.workload == "grep" {
		return benchExpected{Rows: b.grep.Matches}
	}
	return benchExpected{Words: b.gen.Words, Distinct: int64(len(b.wc.Counts))}
}

// goBaseline runs the plain Go program over the file, in-process.
func (b *benchRunner) goBaseline() (benchRun, error) {
	in, err := os.Open(b.path)
	if err != nil {
		return benchRun{}, err
	}
	defer in.Close()
	var done atomic.Int64
	b.prog.phase(b.workload+": go baseline", done.Load, b.gen.Lines)
	m := startMeter()
	m.mark()
	var lines int64
	var check benchCheck
	if b.workload == "grep" {
		b.grep, err = bench.Grep(in, []byte(b.f.pattern), io.Discard, &done)
		lines = b.grep.Lines
		check = benchCheck{OK: true, Rows: b.grep.Matches}
		if b.grep.Matches < b.gen.Matches {
			check.OK, check.Detail = false, fmt.Sprintf("%d matching lines, but the pattern was put into %d", b.grep.Matches, b.gen.Matches)
		}
	} else {
		b.wc, err = bench.WordCount(in, &done)
		lines = b.wc.Lines
		check = benchCheck{OK: true, Rows: int64(len(b.wc.Counts)), Words: b.wc.Words, Distinct: int64(len(b.wc.Counts))}
		if b.wc.Words != b.gen.Words {
			check.OK, check.Detail = false, fmt.Sprintf("%d words counted, %d generated", b.wc.Words, b.gen.Words)
		}
	}
	meas := m.stop()
	if err != nil {
		return benchRun{}, err
	}
	if lines != b.gen.Lines {
		check.OK, check.Detail = false, fmt.Sprintf("%d lines read, %d generated", lines, b.gen.Lines)
	}
	r := meas.run("go baseline", "go", b.gen)
	r.Check = check
	return r, nil
}

// grepBaseline runs `grep -c -F PATTERN FILE` when grep is on PATH.
func (b *benchRunner) grepBaseline() (benchRun, bool, error) {
	bin, err := exec.LookPath("grep")
	if err != nil {
		return benchRun{}, false, nil
	}
	b.prog.phase("grep: grep -c", nil, 0)
	cmd := exec.Command(bin, "-c", "-F", "--", b.f.pattern, b.path)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out strings.Builder
	cmd.Stdout = &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return benchRun{}, false, fmt.Errorf("%s: %w", cmd, err)
	}
	// The child's own maxrss would count this process's RSS (it is started
	// with vfork), so poll its peak RSS while it runs instead.
	var peak atomic.Int64
	polled := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(polled)
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if b, err := os.ReadFile(status); err == nil {
				if v, ok := statusBytes(b, "VmHWM"); ok {
					peak.Store(max(peak.Load(), v))
				}
			}
			select {
			case <-quit:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	err = cmd.Wait()
	wall := time.Since(start)
	close(quit)
	<-polled
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1: no line matched
		return benchRun{}, false, fmt.Errorf("%s: %w", cmd, err)
	}
	meas := measurement{wall: wall, peakMem: peak.Load(), peakMemSource: "VmHWM polled"}
	meas.cpu, _ = childUsage(cmd.ProcessState)
	r := meas.run("grep -c", "grep", b.gen)
	var n int64
	_, perr := fmt.Sscan(strings.TrimSpace(out.String()), &n)
	r.Check = benchCheck{OK: perr == nil && n == b.grep.Matches, Rows: n}
	if !r.Check.OK {
		r.Check.Detail = fmt.Sprintf("grep -c printed %q, want %d", strings.TrimSpace(out.String()), b.grep.Matches)
	}
	return r, true, nil
}

// machineInfo describes this machine.
func machineInfo() benchMachine {
	m := benchMachine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), OS: runtime.GOOS,
		Arch: runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
