package bench

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// TextConfig shapes a generated text workload.
type TextConfig struct {
	// Lines is the number of lines.
	Lines int
	// Seed makes the text reproducible.
	Seed uint64
	// LineBytes is the target line length, without the newline (about).
	LineBytes int
	// Pattern is put into about MatchEvery-th line (0: never).
	Pattern    string
	MatchEvery int
	// Vocabulary is the number of distinct words (Zipf-distributed).
	Vocabulary int
}

// DefaultText is the workload of `weir bench`: ~100-byte lines of
// Zipf-distributed words, 1% of them containing ERROR.
func DefaultText(lines int, seed uint64) TextConfig {
	return TextConfig{Lines: lines, Seed: seed, LineBytes: 100, Pattern: "ERROR", MatchEvery: 100, Vocabulary: 50000}
}

// Words returns the vocabulary: n distinct lower-case words, short ones
// first (they are the most frequent under Zipf).
func Words(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	const letters = "etaoinshrdlcumwfgypbvkjxqz"
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		l := 2 + int(math.Log2(float64(len(out)+2)))/2 + r.IntN(3)
		b := make([]byte, l)
		for i := range b {
			b[i] = letters[min(r.IntN(len(letters)), r.IntN(len(letters)))]
		}
		w := string(b)
		if !seen[w] && w != "error" {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// WriteText writes the workload's lines to w and returns the number of
// bytes and the number of lines containing the pattern.
func WriteText(w io.Writer, c TextConfig) (bytes int64, matches int64, err error) {
	st, err := GenerateText(w, c, nil)
	return st.Bytes, st.Matches, err
}

// TextStats describes generated text.
type TextStats struct {
	// Lines, Bytes (newlines included) and Words (pieces of the lines
	// split on ' ', the pattern included) written.
	Lines, Bytes, Words int64
	// Matches is the number of lines the pattern was put into.
	Matches int64
}

// GenerateText writes the workload's lines to w, like WriteText, and
// returns what it wrote. If progress is not nil it is set to the number
// of lines written so far, every few thousand lines.
func GenerateText(w io.Writer, c TextConfig, progress *atomic.Int64) (TextStats, error) {
	var st TextStats
	words := Words(c.Vocabulary, c.Seed)
	r := rand.New(rand.NewPCG(c.Seed, c.Seed^0x5851f42d4c957f2d))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(c.Seed+1, 99)), 1.1, 1, uint64(len(words)-1))
	bw := bufio.NewWriterSize(w, 1<<20)
	line := make([]byte, 0, 2*c.LineBytes)
	for i := 0; i < c.Lines; i++ {
		if progress != nil && i&4095 == 0 {
			progress.Store(int64(i))
		}
		line = line[:0]
		match := c.MatchEvery > 0 && r.IntN(c.MatchEvery) == 0
		at := -1
		if match {
			at = r.IntN(8)
		}
		for k := 0; len(line) < c.LineBytes; k++ {
			if len(line) > 0 {
				line = append(line, ' ')
			}
			st.Words++
			if k == at {
				line = append(line, c.Pattern...)
				continue
			}
			line = append(line, words[zipf.Uint64()]...)
		}
		if match {
			st.Matches++
		}
		line = append(line, '\n')
		n, err := bw.Write(line)
		st.Bytes += int64(n)
		st.Lines++
		if err != nil {
			return st, err
		}
	}
	if progress != nil {
		progress.Store(int64(c.Lines))
	}
	return st, bw.Flush()
}
