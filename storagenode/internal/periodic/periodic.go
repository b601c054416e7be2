// Package periodic runs a storage node's background passes (the scrub and
// the sweep) on a timer, one pass at a time.
package periodic

import (
	"context"
	"time"
)

// StartDelay is how long after the node starts the first pass of a job runs
// (or its interval, if shorter): soon enough to catch a crash's damage, late
// enough not to compete with the node's own start.
const StartDelay = time.Minute

// Run calls pass once after min(StartDelay, every), then again every after
// the previous pass has ended, until ctx ends. A pass must return when ctx
// ends. every <= 0 means the job is off: Run returns at once.
func Run(ctx context.Context, every time.Duration, pass func(context.Context)) {
	if every <= 0 {
		return
	}
	t := time.NewTimer(min(StartDelay, every))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pass(ctx)
		t.Reset(every)
	}
}
