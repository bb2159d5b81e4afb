package kafka

// Lag returns how many records each partition this source has read from
// is behind its end: the partition's end (its last stable offset, or high
// watermark) as the last fetch reported it, minus the next offset the
// source will deliver. It is consumer lag as Kafka tools report it,
// counting records fetched but not yet delivered. Partitions the source
// has no position in yet are left out. Safe to call from any goroutine.
func (s *Source) Lag() map[int32]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int32]int64, len(s.hw))
	for p, end := range s.hw {
		if next, ok := s.next[p]; ok {
			out[p] = max(0, end-next)
		}
	}
	return out
}
