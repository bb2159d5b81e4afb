package exec

// The keyed stateful operators say how their state splits into
// partitions (Keyed), for Partitioned.

// nonEmpty is keys as one port's key list, or nil without keys.
func nonEmpty(keys ...[]int) [][]int {
	for _, k := range keys {
		if len(k) == 0 {
			return nil
		}
	}
	return keys
}

// PartitionKeys implements Keyed: the GROUP BY keys.
func (w *WindowAgg) PartitionKeys() [][]int { return nonEmpty(w.cfg.Keys) }

// EmissionOrder implements OrderedEmission: windows in order of their
// end, each window's rows by key.
func (w *WindowAgg) EmissionOrder() []int {
	var cols []int
	first := 0
	if w.win {
		cols, first = append(cols, 1), 2 // window_start, window_end come first
	}
	for i := range w.cfg.Keys {
		cols = append(cols, first+i)
	}
	return cols
}

// PartitionKeys implements Keyed: the GROUP BY keys.
func (u *UpdatingAgg) PartitionKeys() [][]int { return nonEmpty(u.cfg.Keys) }

// PartitionKeys implements Keyed: the GROUP BY keys besides the session.
func (s *SessionAgg) PartitionKeys() [][]int { return nonEmpty(s.cfg.Keys) }

// PartitionKeys implements Keyed: the GROUP BY keys.
func (c *CumulateAgg) PartitionKeys() [][]int { return nonEmpty(c.cfg.Keys) }

// PartitionKeys implements Keyed: the GROUP BY keys (with the window end).
func (w *WindowCloseAgg) PartitionKeys() [][]int { return nonEmpty(w.cfg.Keys) }

// PartitionKeys implements Keyed: the PARTITION BY columns.
func (t *TopN) PartitionKeys() [][]int { return nonEmpty(t.cfg.Partition) }

// PartitionKeys implements Keyed: the equi-join keys of each side, when
// each pair has one type (equal keys then hash alike).
func (j *HashJoin) PartitionKeys() [][]int {
	c := j.cfg
	if len(c.LeftKeys) != len(c.RightKeys) {
		return nil
	}
	for i := range c.LeftKeys {
		if c.Left.Field(c.LeftKeys[i]).Type.ID() != c.Right.Field(c.RightKeys[i]).Type.ID() {
			return nil
		}
	}
	return nonEmpty(c.LeftKeys, c.RightKeys)
}

// EmissionOrder implements OrderedEmission: the changes of a micro-batch
// come in ascending key order.
func (u *UpdatingAgg) EmissionOrder() []int { return seq(len(u.cfg.Keys)) }
