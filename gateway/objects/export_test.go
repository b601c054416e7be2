package objects

import (
	"testing"
	"time"
)

// SetUnrecordedLimit shortens how long a blob written whole may wait to be
// recorded, for t.
func SetUnrecordedLimit(t *testing.T, d time.Duration) {
	old := unrecordedLimit
	unrecordedLimit = d
	t.Cleanup(func() { unrecordedLimit = old })
}
