package exec

import "sync"

// workers runs the instances of a parallel operator: instance i always on
// the same goroutine (the caller's for instance 0, a long-lived one of its
// own for each other), so that an instance's state stays warm in the
// cache of the core that last ran it, rather than on a fresh goroutine
// per batch that the scheduler may place anywhere.
type workers struct {
	chs []chan func()
}

// do calls f(0), ..., f(n-1) at once and returns when all have returned.
func (w *workers) do(n int, f func(i int)) {
	if n <= 1 {
		if n == 1 {
			f(0)
		}
		return
	}
	for len(w.chs) < n-1 {
		ch := make(chan func())
		w.chs = append(w.chs, ch)
		go func() {
			for g := range ch {
				g()
			}
		}()
	}
	var wg sync.WaitGroup
	wg.Add(n - 1)
	for i := 1; i < n; i++ {
		w.chs[i-1] <- func() {
			defer wg.Done()
			f(i)
		}
	}
	f(0)
	wg.Wait()
}

// close ends the goroutines.
func (w *workers) close() {
	for _, ch := range w.chs {
		close(ch)
	}
	w.chs = nil
}
