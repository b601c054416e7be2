package console

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
	"sixfold/db/dbq"
)

var _ SessionStore = (*PGStore)(nil)

// PGStore keeps sessions in PostgreSQL (table console_sessions), so that
// they outlive a gateway's restart and every gateway over the same
// database honours them. It is safe for concurrent use.
type PGStore struct {
	q *dbq.Queries
}

// NewPGStore returns a store over pool.
func NewPGStore(pool *pgxpool.Pool) *PGStore { return &PGStore{q: dbq.New(pool)} }

func (p *PGStore) Put(ctx context.Context, id SessionID, s Session) error {
	err := p.q.CreateConsoleSession(ctx, dbq.CreateConsoleSessionParams{
		IDHash: id[:], AccessKey: s.AccessKey, SecretCheck: s.SecretCheck[:],
		CsrfToken: s.CSRFToken, ExpiresAt: s.Expires,
	})
	return db.Translate(err)
}

func (p *PGStore) Get(ctx context.Context, id SessionID, now time.Time) (Session, error) {
	row, err := p.q.GetConsoleSession(ctx, dbq.GetConsoleSessionParams{IDHash: id[:], Now: now})
	if err != nil {
		if err = db.Translate(err); errors.Is(err, db.ErrNotFound) {
			return Session{}, fmt.Errorf("%w: %w", ErrNoSession, err)
		}
		return Session{}, err
	}
	s := Session{AccessKey: row.AccessKey, CSRFToken: row.CsrfToken, Expires: row.ExpiresAt}
	if copy(s.SecretCheck[:], row.SecretCheck) != len(s.SecretCheck) {
		return Session{}, fmt.Errorf("console: session row holds a %d-byte secret check", len(row.SecretCheck))
	}
	return s, nil
}

func (p *PGStore) Delete(ctx context.Context, id SessionID) error {
	return db.Translate(p.q.DeleteConsoleSession(ctx, id[:]))
}

func (p *PGStore) DeleteExpired(ctx context.Context, now time.Time) error {
	_, err := p.q.DeleteExpiredConsoleSessions(ctx, now)
	return db.Translate(err)
}
