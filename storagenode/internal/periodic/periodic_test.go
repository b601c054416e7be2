package periodic

import (
	"context"
	"testing"
	"time"
)

func TestRunRepeatsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	passes := make(chan time.Time, 10)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		Run(ctx, 20*time.Millisecond, func(context.Context) { passes <- time.Now() })
		close(done)
	}()
	first := <-passes
	<-passes
	cancel()
	<-done
	if first.Sub(start) < 20*time.Millisecond {
		t.Fatalf("first pass after %v; want it delayed by the interval when shorter than StartDelay", first.Sub(start))
	}
}

func TestRunOff(t *testing.T) {
	done := make(chan struct{})
	go func() {
		Run(context.Background(), 0, func(context.Context) { t.Error("pass ran with interval 0") })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run with interval 0 did not return")
	}
}
