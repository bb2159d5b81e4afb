package vector

import (
	"cmp"
	"slices"
)

// radixMin is the fewest pairs sortPairs sorts by radix; fewer are sorted
// by comparison, which is then as fast. radixMax is the most: the radix
// sort takes scratch as large as the pairs, which the sort of a large
// GROUP BY's result at the end of its input (16 bytes a key) must not
// add to its memory.
const (
	radixMin = 256
	radixMax = 1 << 16
)

// sortPairs sorts ps by image, and pairs of equal images by tie (nil:
// images never tie). It sorts by radix (see radixPairs) between radixMin
// and radixMax pairs, using the capacity past len(ps) as scratch (growing it to
// twice the length), and returns ps, its capacity perhaps grown.
func sortPairs(ps []groupSortPair, tie func(a, b uint32) int) []groupSortPair {
	n := len(ps)
	if n < radixMin || n > radixMax {
		slices.SortFunc(ps, func(a, b groupSortPair) int {
			if r := cmp.Compare(a.k, b.k); r != 0 || tie == nil {
				return r
			}
			return tie(a.id, b.id)
		})
		return ps
	}
	ps = slices.Grow(ps, n)[:n]
	if sorted := radixPairs(ps, ps[n:2*n]); &sorted[0] != &ps[0] {
		copy(ps, sorted)
	}
	if tie != nil {
		for lo := 0; lo < n; {
			hi := lo + 1
			for hi < n && ps[hi].k == ps[lo].k {
				hi++
			}
			if hi-lo > 1 {
				slices.SortFunc(ps[lo:hi], func(a, b groupSortPair) int { return tie(a.id, b.id) })
			}
			lo = hi
		}
	}
	return ps
}

// radixPairs sorts ps by image with a least-significant-byte-first radix
// sort, skipping the bytes in which every image is the same (the high
// bytes of small integers, the common start of strings), and returns the
// sorted pairs: ps or tmp, which must be as long as ps.
func radixPairs(ps, tmp []groupSortPair) []groupSortPair {
	var counts [8][256]int32
	for _, p := range ps {
		k := p.k
		counts[0][byte(k)]++
		counts[1][byte(k>>8)]++
		counts[2][byte(k>>16)]++
		counts[3][byte(k>>24)]++
		counts[4][byte(k>>32)]++
		counts[5][byte(k>>40)]++
		counts[6][byte(k>>48)]++
		counts[7][byte(k>>56)]++
	}
	src, dst := ps, tmp
	for b := range 8 {
		c := &counts[b]
		shift := uint(8 * b)
		if int(c[byte(src[0].k>>shift)]) == len(src) {
			continue // one value of this byte: already in order by it
		}
		var sum int32
		for i := range c {
			n := c[i]
			c[i] = sum
			sum += n
		}
		for _, p := range src {
			d := byte(p.k >> shift)
			dst[c[d]] = p
			c[d]++
		}
		src, dst = dst, src
	}
	return src
}
