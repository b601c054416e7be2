package db

import "context"

// Listen holds one connection in LISTEN on channel and calls changed once
// listening has begun (for whatever changed while nobody listened) and
// after every notification, until the connection is lost or ctx ends; it
// returns why (translated). channel must be a trusted identifier: it is
// not quoted. The connection leaves the pool for good, since a LISTENing
// session must not be handed to queries.
func (s *Store) Listen(ctx context.Context, channel string, changed func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return Translate(err)
	}
	pgConn := conn.Hijack()
	defer pgConn.Close(context.WithoutCancel(ctx))
	if _, err := pgConn.Exec(ctx, "LISTEN "+channel); err != nil {
		return Translate(err)
	}
	for {
		changed()
		if _, err := pgConn.WaitForNotification(ctx); err != nil {
			return Translate(err)
		}
	}
}
