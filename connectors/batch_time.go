package connectors

import "time"

// BatchTimer is implemented by sinks that name their output by the time of
// the micro-batch (the file sink with rolling = 'batch'). The scheduler
// calls BatchTime with the batch's time just before each Commit.
type BatchTimer interface {
	BatchTime(t time.Time)
}
