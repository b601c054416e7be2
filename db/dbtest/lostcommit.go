package dbtest

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db"
)

// commitMessage is how pgx sends a transaction's COMMIT: a simple-protocol
// Query message ('Q', length 4+7, "commit\0").
var (
	commitMessage   = []byte("Q\x00\x00\x00\x0bcommit\x00")
	rollbackMessage = []byte("Q\x00\x00\x00\x0drollback\x00")
)

// LostCommit stands between a pool and the test server and loses the reply
// to one COMMIT, as a primary that dies just after committing does: the
// transaction is durable, and its client sees only a broken connection.
// It exists because that outcome, the one a client can never tell from a
// rollback, is what code that cleans up after failed writes must survive.
type LostCommit struct {
	ln     net.Listener
	server string // host:port of the test server

	mu       sync.Mutex    // protects marker, withhold and outage
	marker   []byte        // armed: cut the COMMIT of a transaction that sent this
	withhold bool          // the armed cut keeps the COMMIT from the server
	outage   time.Duration // after the armed cut, how long every connection is refused

	downUntil atomic.Int64 // unix nanoseconds; before it, the proxy refuses everything
	cuts      atomic.Int32
}

// NewLostCommitPool creates a migrated database and returns a pool on it
// that reaches PostgreSQL through a LostCommit, and the proxy. Every
// statement is sent with its text (describe_exec), so that a transaction
// can be recognised by the statements it runs, however warm the pool is.
func NewLostCommitPool(t testing.TB) (*pgxpool.Pool, *LostCommit) {
	t.Helper()
	dsn := NewMigratedDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &LostCommit{ln: ln, server: u.Host}
	go p.serve()
	t.Cleanup(func() { _ = ln.Close() })
	u.Host = ln.Addr().String()
	q := u.Query()
	q.Set("default_query_exec_mode", "describe_exec")
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := db.Open(ctx, db.Config{URL: u.String()})
	if err != nil {
		t.Fatalf("open through the proxy: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, p
}

// CutCommitAfter arms the proxy: the next transaction whose statements
// contain marker (a sqlc query's "-- name: X" line, say) commits, but its
// COMMIT's reply is dropped and the connection closed. One cut per arming.
func (p *LostCommit) CutCommitAfter(marker string) {
	p.arm(marker, false)
}

// WithholdCommitAfter arms the proxy as CutCommitAfter does, except that
// the COMMIT never reaches the server, which rolls the transaction back
// when the connection closes: the client's view is the same, the outcome
// the opposite.
func (p *LostCommit) WithholdCommitAfter(marker string) {
	p.arm(marker, true)
}

func (p *LostCommit) arm(marker string, withhold bool) {
	p.mu.Lock()
	p.marker, p.withhold = []byte(marker), withhold
	p.mu.Unlock()
}

// RefuseAfterCut makes the next cut begin an outage of d: every
// connection, new or pooled, is refused, as while a server restarts.
func (p *LostCommit) RefuseAfterCut(d time.Duration) {
	p.mu.Lock()
	p.outage = d
	p.mu.Unlock()
}

func (p *LostCommit) down() bool { return time.Now().UnixNano() < p.downUntil.Load() }

// Cuts is how many COMMITs the proxy has cut: replies dropped or COMMITs
// withheld.
func (p *LostCommit) Cuts() int { return int(p.cuts.Load()) }

func (p *LostCommit) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down() {
			_ = client.Close()
			continue
		}
		go p.relay(client)
	}
}

// relay carries one connection. The client's bytes are watched for the
// armed marker and then for a COMMIT; once that COMMIT has gone to the
// server, the server's next bytes (its reply: PostgreSQL answers only once
// the commit is durable) close both sides instead of being passed on. A
// withheld COMMIT closes both sides at once. During an outage, any bytes
// either way close both sides.
func (p *LostCommit) relay(client net.Conn) {
	server, err := net.Dial("tcp", p.server)
	if err != nil {
		_ = client.Close()
		return
	}
	var cut atomic.Bool
	closeBoth := func() { _ = client.Close(); _ = server.Close() }
	go func() {
		defer closeBoth()
		buf := make([]byte, 64<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 && cut.Load() {
				p.cuts.Add(1)
				return
			}
			if n > 0 && p.down() {
				return
			}
			if n > 0 {
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer closeBoth()
	buf := make([]byte, 64<<10)
	sawMarker := false
	for {
		n, err := client.Read(buf)
		if n > 0 && p.down() {
			return
		}
		if n > 0 {
			chunk := buf[:n]
			withheld := false
			p.mu.Lock()
			if p.marker != nil && bytes.Contains(chunk, p.marker) {
				sawMarker = true
			}
			if bytes.Contains(chunk, rollbackMessage) {
				sawMarker = false
			}
			if sawMarker && bytes.Contains(chunk, commitMessage) {
				p.marker, sawMarker = nil, false
				p.downUntil.Store(time.Now().Add(p.outage).UnixNano())
				p.outage = 0
				if p.withhold {
					withheld = true
					p.cuts.Add(1)
				} else {
					cut.Store(true)
				}
			}
			p.mu.Unlock()
			if withheld {
				return
			}
			if _, werr := server.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
