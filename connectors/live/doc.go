// Package live holds what Weir's live (unbounded) sources share: the
// bounded Queue between a source's background goroutine and its Next, the
// Worker that runs and stops that goroutine, and small option parsers.
//
// The shape every live source follows:
//
//	Start(ctx)  Worker.Start runs the producer; it decodes or generates
//	            batches and hands them to Queue.Put, which blocks while the
//	            queue holds its byte budget, so a slow consumer pauses the
//	            producer (a socket is not read, a scan waits) and memory
//	            stays flat.
//	Next        Queue.Next never waits: it returns up to maxRows rows of the
//	            oldest queued batch, or connectors.ErrNoData.
//	Close       Worker.Stop cancels the producer and waits for it, then
//	            Queue.Close releases whatever is still queued.
//
// Bad records travel through the queue with the rows decoded from the same
// input, and Next reports them to the table's BadRow handler, so the
// handler is only ever called from the goroutine that calls Next.
package live
