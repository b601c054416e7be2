package chunkstore

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// A GroupPut is one chunk of a PutGroup, its bytes already in memory.
type GroupPut struct {
	ID     string
	Data   []byte
	Digest Digest
}

// A GroupResult is one chunk's outcome in a PutGroup.
type GroupResult struct {
	PutResult
	Err error
}

// PutGroup puts several chunks as Put would, concurrently, and returns once
// each is durable or has failed; each succeeds or fails on its own. The
// small ones are all appended to the log before any waits for it, so they
// share one sync. Concurrent Puts each wait as soon as they are logged:
// the first starts its sync before the next is logged, and the next then
// pays a sync of its own, so a node holding two shards of a small object
// made its answer wait for two syncs in a row.
func (s *Store) PutGroup(ctx context.Context, puts []GroupPut) []GroupResult {
	results := make([]GroupResult, len(puts))
	marks := make([]logMark, len(puts))
	var wg sync.WaitGroup
	for i, p := range puts {
		wg.Go(func() {
			res := &results[i]
			res.PutResult, marks[i], res.Err = s.stage(ctx, p.ID, bytes.NewReader(p.Data), int64(len(p.Data)), p.Digest)
		})
	}
	wg.Wait()
	var last logMark
	for _, m := range marks {
		if m.after(last) {
			last = m
		}
	}
	// The log is made durable in order: the last record's sync covers
	// every earlier one, in its segment or (synced when it filled) before.
	if err := last.wait(); err != nil {
		for i, m := range marks {
			if m.l != nil {
				s.remove(puts[i].ID, time.Time{})
				results[i] = GroupResult{Err: err}
			}
		}
	}
	return results
}

// after says whether m is a record logged after the one other marks (or
// any record, when other is the zero mark).
func (m logMark) after(other logMark) bool {
	switch {
	case m.l == nil:
		return false
	case other.l == nil:
		return true
	}
	return m.seq > other.seq || (m.seq == other.seq && m.end > other.end)
}
