package datagen

import "math/rand/v2"

// vocabSize is the number of words in the vocabulary.
const vocabSize = 1000

// commonWords start the vocabulary, so that text looks English-like.
var commonWords = []string{
	"the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by",
	"on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had",
	"they", "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if",
	"more", "when", "will", "would", "who", "so", "no", "time", "stream", "river", "water", "data",
	"window", "count", "word", "line", "event", "click", "user", "page", "query", "batch", "table",
	"light", "stone", "bridge", "market", "garden", "winter", "summer", "morning", "evening", "city",
	"road", "house", "paper", "number", "world", "people", "year", "day", "way", "thing", "man",
	"woman", "child", "hand", "part", "place", "case", "week", "point", "fact", "group", "system",
}

// vocab is the vocabulary as one byte buffer: word i is
// vocab.data[vocab.off[i]:vocab.off[i+1]].
var vocab = buildVocabulary()

type vocabulary struct {
	data []byte
	off  []int32
}

func (v *vocabulary) word(i int) []byte { return v.data[v.off[i]:v.off[i+1]] }

// buildVocabulary makes the common words followed by invented ones, built
// from syllables with a fixed seed, so the vocabulary is the same in every
// build and on every machine.
func buildVocabulary() *vocabulary {
	onsets := []string{"b", "br", "c", "ch", "cl", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l",
		"m", "n", "p", "pl", "pr", "r", "s", "sh", "sl", "st", "t", "th", "tr", "v", "w", "y", "z"}
	vowels := []string{"a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou", "ie", "y"}
	codas := []string{"", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng", "rt", "sh"}
	seen := map[string]bool{}
	v := &vocabulary{off: []int32{0}}
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			v.data = append(v.data, w...)
			v.off = append(v.off, int32(len(v.data)))
		}
	}
	for _, w := range commonWords {
		add(w)
	}
	rng := rand.New(rand.NewPCG(0x5eed, 0x70cab))
	for len(v.off)-1 < vocabSize {
		n := 1 + rng.IntN(3)
		w := ""
		for range n {
			w += onsets[rng.IntN(len(onsets))] + vowels[rng.IntN(len(vowels))]
		}
		add(w + codas[rng.IntN(len(codas))])
	}
	return v
}

// Vocabulary returns the words VARCHAR columns are made of, in a fixed
// order: the same on every run.
func Vocabulary() []string {
	out := make([]string, vocabSize)
	for i := range out {
		out[i] = string(vocab.word(i))
	}
	return out
}
