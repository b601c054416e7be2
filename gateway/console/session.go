package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// session is one signed-in browser. Only the access key is kept: the
// secret is looked up in the key store on every use, so a key that is
// removed or given a new secret stops working in the console at once
// (secretSum no longer matches).
type session struct {
	accessKey string
	secretSum [32]byte
	csrf      string
	expires   time.Time
}

// sessions holds the signed-in browsers of this gateway in memory, keyed
// by the SHA-256 of the cookie value, so a dump of the map cannot be
// replayed as cookies.
type sessions struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex // protects byID
	byID map[[32]byte]*session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, byID: map[[32]byte]*session{}}
}

// create starts a session and returns its cookie value.
func (s *sessions) create(accessKey, secret string) (string, *session) {
	id := randomToken()
	sess := &session{accessKey: accessKey, secretSum: sha256.Sum256([]byte(secret)),
		csrf: randomToken(), expires: s.now().Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	s.byID[sha256.Sum256([]byte(id))] = sess
	return id, sess
}

// get returns the live session of a cookie value, or nil.
func (s *sessions) get(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := sha256.Sum256([]byte(id))
	sess := s.byID[k]
	if sess == nil {
		return nil
	}
	if !s.now().Before(sess.expires) {
		delete(s.byID, k)
		return nil
	}
	return sess
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, sha256.Sum256([]byte(id)))
}

// sweep drops expired sessions; called with mu held, on each sign-in, so
// the map never outgrows the sessions started within one ttl.
func (s *sessions) sweep() {
	now := s.now()
	for k, sess := range s.byID {
		if !now.Before(sess.expires) {
			delete(s.byID, k)
		}
	}
}

// validSecret reports whether secret is still the one the session was
// opened with.
func (sess *session) validSecret(secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], sess.secretSum[:]) == 1
}

func (sess *session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.csrf)) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
