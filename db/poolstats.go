package db

import "time"

// PoolStats is one reading of the connection pool.
type PoolStats struct {
	Acquired, Idle, Total, Max int32
	// Acquires counts successful acquires; EmptyAcquires those that had to
	// wait because no idle connection was free; CanceledAcquires those
	// whose context ended first.
	Acquires, EmptyAcquires, CanceledAcquires int64
	// AcquireDuration is the total time spent in successful acquires.
	AcquireDuration time.Duration
}

// PoolStats reads the pool's statistics; pgxpool takes its lock only
// briefly, so reading them on every scrape is cheap.
func (s *Store) PoolStats() PoolStats {
	st := s.pool.Stat()
	return PoolStats{
		Acquired: st.AcquiredConns(), Idle: st.IdleConns(), Total: st.TotalConns(), Max: st.MaxConns(),
		Acquires: st.AcquireCount(), EmptyAcquires: st.EmptyAcquireCount(), CanceledAcquires: st.CanceledAcquireCount(),
		AcquireDuration: st.AcquireDuration(),
	}
}
