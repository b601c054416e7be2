package console

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"testing"
	"time"

	"sixfold/db"
	"sixfold/db/dbtest"
)

// runStoreContract checks what the console relies on from a SessionStore.
func runStoreContract(t *testing.T, newStore func(t *testing.T) SessionStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	sess := func(ak string, expires time.Time) Session {
		return Session{AccessKey: ak, SecretCheck: sha256.Sum256([]byte(ak)), CSRFToken: "csrf-" + ak, Expires: expires}
	}
	id := func(s string) SessionID { return sessionIDOf(s) }

	t.Run("put then get until expiry", func(t *testing.T) {
		st := newStore(t)
		want := sess("alice", t0.Add(time.Hour))
		if err := st.Put(ctx, id("a"), want); err != nil {
			t.Fatal(err)
		}
		got, err := st.Get(ctx, id("a"), t0.Add(time.Hour-time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if got.AccessKey != want.AccessKey || got.SecretCheck != want.SecretCheck || got.CSRFToken != want.CSRFToken || !got.Expires.Equal(want.Expires) {
			t.Fatalf("got %+v; want %+v", got, want)
		}
		if _, err := st.Get(ctx, id("a"), t0.Add(time.Hour)); !errors.Is(err, ErrNoSession) {
			t.Fatalf("at expiry: %v; want ErrNoSession", err)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		st := newStore(t)
		if _, err := st.Get(ctx, id("nobody"), t0); !errors.Is(err, ErrNoSession) {
			t.Fatalf("got %v; want ErrNoSession", err)
		}
		if err := st.Delete(ctx, id("nobody")); err != nil {
			t.Fatalf("deleting a missing session: %v", err)
		}
	})
	t.Run("delete ends one session", func(t *testing.T) {
		st := newStore(t)
		for _, k := range []string{"a", "b"} {
			if err := st.Put(ctx, id(k), sess(k, t0.Add(time.Hour))); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Delete(ctx, id("a")); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, id("a"), t0); !errors.Is(err, ErrNoSession) {
			t.Fatalf("deleted session: %v; want ErrNoSession", err)
		}
		if _, err := st.Get(ctx, id("b"), t0); err != nil {
			t.Fatalf("the other session: %v", err)
		}
	})
	t.Run("delete expired keeps live ones", func(t *testing.T) {
		st := newStore(t)
		if err := st.Put(ctx, id("old"), sess("old", t0.Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, id("new"), sess("new", t0.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteExpired(ctx, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// Asked with an earlier clock, a swept session is still gone.
		if _, err := st.Get(ctx, id("old"), t0); !errors.Is(err, ErrNoSession) {
			t.Fatalf("swept session: %v; want ErrNoSession", err)
		}
		if _, err := st.Get(ctx, id("new"), t0.Add(time.Minute)); err != nil {
			t.Fatalf("live session after the sweep: %v", err)
		}
	})
}

func TestMemoryStoreContract(t *testing.T) {
	runStoreContract(t, func(*testing.T) SessionStore { return NewMemoryStore() })
}

func TestPGStoreContract(t *testing.T) {
	runStoreContract(t, func(t *testing.T) SessionStore {
		pool, _ := dbtest.NewPool(t)
		return NewPGStore(db.NewStore(pool))
	})
}

// TestPGSessionsSharedByConsoles: two consoles over one database (two
// gateways, or one restarted) honour each other's sessions, and a
// sign-out through one ends it for both.
func TestPGSessionsSharedByConsoles(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	first := newFixture(t, Options{Sessions: NewPGStore(db.NewStore(pool))})
	second := newFixture(t, Options{Sessions: NewPGStore(db.NewStore(pool))})
	cookie, csrf := first.signIn(request{})
	res := second.do(request{method: http.MethodGet, path: "/console/api/session", cookie: cookie})
	if res.Code != http.StatusOK || res.body["csrf_token"] != csrf || res.body["access_key"] != testKey {
		t.Fatalf("the other console: %d %s; want the same session", res.Code, res.Body)
	}
	if res := second.do(request{method: http.MethodPost, path: "/console/api/logout", cookie: cookie, csrf: csrf}); res.Code != http.StatusNoContent {
		t.Fatalf("sign-out through the other console: %d", res.Code)
	}
	if res := first.do(request{method: http.MethodGet, path: "/console/api/session", cookie: cookie}); res.Code != http.StatusUnauthorized {
		t.Fatalf("the first console after sign-out elsewhere: %d; want 401", res.Code)
	}
}
