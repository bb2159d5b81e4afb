package bench

import (
	"bufio"
	"bytes"
	"io"
	"sync/atomic"
)

// baselineBuffer is the Scanner buffer of the baselines: big reads, and
// room for any line the generator writes.
const baselineBuffer = 1 << 20

// GrepResult is what the grep baseline found.
type GrepResult struct {
	// Lines and Bytes read (newlines included), and Matches: lines
	// containing the pattern.
	Lines, Bytes, Matches int64
}

// Grep is the plain single-threaded Go baseline of `weir bench grep`: it
// reads r line by line with a bufio.Scanner over a big buffer, and writes
// every line containing pattern (bytes.Contains), with its newline, to
// out (io.Discard in the benchmark). If progress is not nil it is set to
// the number of lines read, every few thousand lines.
func Grep(r io.Reader, pattern []byte, out io.Writer, progress *atomic.Int64) (GrepResult, error) {
	var res GrepResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, baselineBuffer), baselineBuffer)
	for sc.Scan() {
		line := sc.Bytes()
		res.Lines++
		res.Bytes += int64(len(line)) + 1
		if progress != nil && res.Lines&4095 == 0 {
			progress.Store(res.Lines)
		}
		if bytes.Contains(line, pattern) {
			res.Matches++
			if _, err := out.Write(line); err != nil {
				return res, err
			}
			if _, err := out.Write(newline); err != nil {
				return res, err
			}
		}
	}
	if progress != nil {
		progress.Store(res.Lines)
	}
	return res, sc.Err()
}

var newline = []byte{'\n'}

// WordCountResult is what the word-count baseline counted.
type WordCountResult struct {
	// Lines and Bytes read (newlines included), and Words: pieces of the
	// lines split on ' '.
	Lines, Bytes, Words int64
	// Counts is the number of occurrences of each distinct word.
	Counts map[string]int64
}

// WordCount is the plain single-threaded Go baseline of `weir bench
// wordcount`: bufio lines, each split on ' ', counted in a map with the
// m[string(b)]++ idiom (no allocation for a word already in the map). Like
// UNNEST(STRING_TO_ARRAY(line, ' ')), an empty line yields no word. If
// progress is not nil it is set to the number of lines read, every few
// thousand lines.
func WordCount(r io.Reader, progress *atomic.Int64) (WordCountResult, error) {
	res := WordCountResult{Counts: make(map[string]int64, 1<<16)}
	m := res.Counts
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, baselineBuffer), baselineBuffer)
	for sc.Scan() {
		line := sc.Bytes()
		res.Lines++
		res.Bytes += int64(len(line)) + 1
		if progress != nil && res.Lines&4095 == 0 {
			progress.Store(res.Lines)
		}
		if len(line) == 0 {
			continue
		}
		for {
			i := bytes.IndexByte(line, ' ')
			if i < 0 {
				m[string(line)]++
				res.Words++
				break
			}
			m[string(line[:i])]++
			res.Words++
			line = line[i+1:]
		}
	}
	if progress != nil {
		progress.Store(res.Lines)
	}
	return res, sc.Err()
}
