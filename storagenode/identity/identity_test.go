package identity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/storagenode/internal/nodetest"
)

func TestMarkerRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if m, err := ReadMarker(dir); m != nil || err != nil {
		t.Fatalf("ReadMarker of an unmarked dir = %v, %v; want nil, nil", m, err)
	}
	for _, want := range []Marker{
		{ServerID: uuid.New(), Address: "10.0.0.7:9001"},
		{ServerID: uuid.New(), Address: "storage-3:9001"},
	} {
		if err := WriteMarker(dir, want); err != nil {
			t.Fatal(err)
		}
		got, err := ReadMarker(dir)
		if err != nil || got == nil || *got != want {
			t.Fatalf("ReadMarker = %v, %v; want %v", got, err, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != FileName {
		t.Fatalf("dir holds %v (%v); want only %s", entries, err, FileName)
	}
}

// TestReadMarkerRefusesGarbage: a damaged marker must stop the node, not
// pass for an absent one.
func TestReadMarkerRefusesGarbage(t *testing.T) {
	id := uuid.NewString()
	for _, tt := range []struct{ name, content string }{
		{"empty", ""},
		{"truncated", `{"server_id": "` + id},
		{"no address", `{"server_id": "` + id + `"}`},
		{"no id", `{"address": "127.0.0.1:9001"}`},
		{"nil id", `{"server_id": "` + uuid.Nil.String() + `", "address": "127.0.0.1:9001"}`},
		{"bad id", `{"server_id": "node-1", "address": "127.0.0.1:9001"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := ReadMarker(dir)
			if err == nil || m != nil || !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
				t.Fatalf("ReadMarker = %v, %v; want an error naming the file", m, err)
			}
		})
	}
}

// The nodetest Env registers its node at this address and another server
// at otherAddress.
const (
	nodeAddress  = "127.0.0.1:9001"
	otherAddress = "127.0.0.1:9002"
)

// TestCheck runs every case of the decision against real PostgreSQL.
func TestCheck(t *testing.T) {
	e := nodetest.New(t)
	stored := nodetest.Row{ID: uuid.New(), Size: 10}
	e.AddRow(t, stored)
	ghost := uuid.New() // a marker's server that PostgreSQL no longer has
	tests := []struct {
		name      string
		address   string
		marker    *Marker
		hasChunks bool
		wantID    uuid.UUID // when not refused
		refused   []string  // substrings the refusal must carry; nil: accepted
	}{
		{name: "brand-new node", address: "127.0.0.1:9100"},
		{name: "brand-new node with chunk files", address: "127.0.0.1:9100", hasChunks: true},
		{name: "marker of a deleted row proposes its id", address: "127.0.0.1:9100",
			marker: &Marker{ServerID: ghost, Address: "127.0.0.1:9100"}, wantID: ghost},
		{name: "upgrade: chunk files, no marker", address: nodeAddress, hasChunks: true},
		{name: "marker matches, files lost", address: nodeAddress,
			marker: &Marker{ServerID: e.NodeID, Address: nodeAddress}, wantID: e.NodeID},
		{name: "empty dir, server stores nothing", address: otherAddress},
		{name: "empty dir, server stores shards", address: nodeAddress,
			refused: []string{"no chunk files and no identity marker", e.Dir, e.NodeID.String(), nodeAddress,
				"mount the right volume, or drain/replace the node: `gateway admin drain " + e.NodeID.String() + "`"}},
		{name: "marker of another server at this address", address: nodeAddress,
			marker:  &Marker{ServerID: e.Other, Address: otherAddress},
			refused: []string{e.Dir, "names server " + e.Other.String(), "registered as server " + e.NodeID.String()}},
		{name: "marker of a server registered elsewhere", address: "127.0.0.1:9100",
			marker:  &Marker{ServerID: e.Other, Address: otherAddress},
			refused: []string{e.Dir, "names server " + e.Other.String(), "registered at " + otherAddress}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Claim{DataDir: e.Dir, Address: tt.address, Marker: tt.marker, HasChunks: tt.hasChunks}
			id, err := c.Check(context.Background(), e.DB)
			if tt.refused == nil {
				if err != nil || id != tt.wantID {
					t.Fatalf("Check = %s, %v; want %s, nil", id, err, tt.wantID)
				}
				return
			}
			var refused *RefusedError
			if !errors.Is(err, ErrRefused) || !errors.As(err, &refused) {
				t.Fatalf("Check = %s, %v; want a *RefusedError", id, err)
			}
			for _, s := range tt.refused {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("refusal does not say %q:\n%v", s, err)
				}
			}
		})
	}
}

// TestCheckIgnoresRowsNotStored: shards already flagged missing or corrupt,
// or still pending, do not make an empty directory suspect; only stored
// ones do.
func TestCheckIgnoresRowsNotStored(t *testing.T) {
	e := nodetest.New(t)
	for _, status := range []string{"pending", "missing", "corrupt"} {
		e.AddRow(t, nodetest.Row{ID: uuid.New(), Status: status, Size: 1})
	}
	c := Claim{DataDir: e.Dir, Address: nodeAddress}
	if id, err := c.Check(context.Background(), e.DB); err != nil || id != uuid.Nil {
		t.Fatalf("Check = %s, %v; want a fresh start", id, err)
	}
}

// failing is a Queries whose PostgreSQL is down.
type failing struct{}

func (failing) ListStorageServers(context.Context) ([]db.StorageServer, error) {
	return nil, errors.New("connection refused")
}

func (failing) ListStoredChunksOnServer(context.Context, uuid.UUID, uuid.UUID, time.Duration, int) ([]db.StoredChunk, error) {
	return nil, errors.New("connection refused")
}

// TestCheckDatabaseErrorIsNoRefusal: an outage must be retried, not taken
// for a verdict on the directory.
func TestCheckDatabaseErrorIsNoRefusal(t *testing.T) {
	_, err := Claim{DataDir: t.TempDir(), Address: nodeAddress}.Check(context.Background(), failing{})
	if err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("Check = %v; want a plain database error", err)
	}
}
