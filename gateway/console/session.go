package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// Session is one signed-in browser as a SessionStore keeps it. Only the
// access key is kept, not the secret: the secret is looked up in the key
// store on every use, so a key that is removed or given a new secret stops
// working in the console at once (SecretCheck no longer matches).
type Session struct {
	AccessKey string
	// SecretCheck is secretCheck(cookie value, secret at sign-in).
	SecretCheck [32]byte
	CSRFToken   string
	Expires     time.Time
}

// SessionID is how a store knows a session: the SHA-256 of its cookie
// value, so that what a store holds cannot be replayed as cookies.
type SessionID [32]byte

func sessionIDOf(cookie string) SessionID { return sha256.Sum256([]byte(cookie)) }

// ErrNoSession is what SessionStore.Get returns for a session that does
// not exist or has expired.
var ErrNoSession = errors.New("console: no such session")

// SessionStore keeps the console's sessions. Implementations are safe for
// concurrent use; every method honours ctx's cancellation.
type SessionStore interface {
	// Put stores a new session under id.
	Put(ctx context.Context, id SessionID, s Session) error
	// Get returns the session under id if it expires after now, and
	// ErrNoSession (possibly wrapped) if there is none.
	Get(ctx context.Context, id SessionID, now time.Time) (Session, error)
	// Delete removes the session under id; a missing one is no error.
	Delete(ctx context.Context, id SessionID) error
	// DeleteExpired removes every session that has expired by now.
	DeleteExpired(ctx context.Context, now time.Time) error
}

var _ SessionStore = (*MemoryStore)(nil)

// MemoryStore keeps sessions in this process: they end when it does, and
// another gateway does not know them. For tests and single-process use;
// the gateway keeps its sessions in PostgreSQL (PGStore).
type MemoryStore struct {
	mu   sync.Mutex // protects byID
	byID map[SessionID]Session
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{byID: map[SessionID]Session{}} }

func (m *MemoryStore) Put(_ context.Context, id SessionID, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byID[id] = s
	return nil
}

func (m *MemoryStore) Get(_ context.Context, id SessionID, now time.Time) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok || !now.Before(s.Expires) {
		return Session{}, ErrNoSession
	}
	return s, nil
}

func (m *MemoryStore) Delete(_ context.Context, id SessionID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byID, id)
	return nil
}

func (m *MemoryStore) DeleteExpired(_ context.Context, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, s := range m.byID {
		if !now.Before(s.Expires) {
			delete(m.byID, id)
		}
	}
	return nil
}

// secretCheck binds a secret to one session's cookie value: a store's copy
// of it says nothing about the secret without the cookie, which no store
// holds.
func secretCheck(cookie, secret string) [32]byte {
	h := sha256.New()
	h.Write([]byte("sixfold console session\x00"))
	h.Write([]byte(cookie))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// validSecret reports whether secret is still the one the session with
// this cookie value was opened with.
func (s Session) validSecret(cookie, secret string) bool {
	sum := secretCheck(cookie, secret)
	return subtle.ConstantTimeCompare(sum[:], s.SecretCheck[:]) == 1
}

func (s Session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
