package db

import (
	"context"
	"time"

	"sixfold/db/internal/dbq"
)

// ConsoleSession is a web console session as stored: the id itself is
// never stored, only its hash.
type ConsoleSession struct {
	AccessKey   string
	SecretCheck []byte
	CSRFToken   string
	Expires     time.Time
}

// CreateConsoleSession stores s under idHash.
func (s *Store) CreateConsoleSession(ctx context.Context, idHash []byte, cs ConsoleSession) error {
	return Translate(s.q().CreateConsoleSession(ctx, dbq.CreateConsoleSessionParams{
		IDHash: idHash, AccessKey: cs.AccessKey, SecretCheck: cs.SecretCheck, CsrfToken: cs.CSRFToken, ExpiresAt: cs.Expires,
	}))
}

// GetConsoleSession returns the session under idHash unexpired at now, or
// ErrNotFound.
func (s *Store) GetConsoleSession(ctx context.Context, idHash []byte, now time.Time) (ConsoleSession, error) {
	row, err := s.q().GetConsoleSession(ctx, dbq.GetConsoleSessionParams{IDHash: idHash, Now: now})
	if err != nil {
		return ConsoleSession{}, Translate(err)
	}
	return ConsoleSession{AccessKey: row.AccessKey, SecretCheck: row.SecretCheck, CSRFToken: row.CsrfToken, Expires: row.ExpiresAt}, nil
}

// DeleteConsoleSession removes the session under idHash, if any.
func (s *Store) DeleteConsoleSession(ctx context.Context, idHash []byte) error {
	return Translate(s.q().DeleteConsoleSession(ctx, idHash))
}

// DeleteExpiredConsoleSessions removes the sessions expired at now.
func (s *Store) DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) error {
	_, err := s.q().DeleteExpiredConsoleSessions(ctx, now)
	return Translate(err)
}
