package console

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sixfold/db"
)

var _ SessionStore = (*PGStore)(nil)

// PGStore keeps sessions in PostgreSQL (table console_sessions), so that
// they outlive a gateway's restart and every gateway over the same
// database honours them. It is safe for concurrent use.
type PGStore struct {
	db *db.Store
}

// NewPGStore returns a store over store.
func NewPGStore(store *db.Store) *PGStore { return &PGStore{db: store} }

func (p *PGStore) Put(ctx context.Context, id SessionID, s Session) error {
	return p.db.CreateConsoleSession(ctx, id[:], db.ConsoleSession{
		AccessKey: s.AccessKey, SecretCheck: s.SecretCheck[:], CSRFToken: s.CSRFToken, Expires: s.Expires,
	})
}

func (p *PGStore) Get(ctx context.Context, id SessionID, now time.Time) (Session, error) {
	row, err := p.db.GetConsoleSession(ctx, id[:], now)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return Session{}, fmt.Errorf("%w: %w", ErrNoSession, err)
		}
		return Session{}, err
	}
	s := Session{AccessKey: row.AccessKey, CSRFToken: row.CSRFToken, Expires: row.Expires}
	if copy(s.SecretCheck[:], row.SecretCheck) != len(s.SecretCheck) {
		return Session{}, fmt.Errorf("console: session row holds a %d-byte secret check", len(row.SecretCheck))
	}
	return s, nil
}

func (p *PGStore) Delete(ctx context.Context, id SessionID) error {
	return p.db.DeleteConsoleSession(ctx, id[:])
}

func (p *PGStore) DeleteExpired(ctx context.Context, now time.Time) error {
	return p.db.DeleteExpiredConsoleSessions(ctx, now)
}
