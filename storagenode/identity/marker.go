// Package identity ties a storage node's data directory to its row in
// PostgreSQL. Once registered, a node records who it is in a marker file in
// its data directory; at the next start, before it registers, it compares
// the directory with what PostgreSQL expects of it and refuses to start on
// a directory that is not its own: an unmounted or wiped volume (no marker,
// no chunk files, yet stored shards recorded on the server) or another
// server's volume (a marker naming another server). Starting on either
// would get every shard PostgreSQL places on the node flagged missing, or
// let the sweep delete another server's chunks as orphans.
//
// The marker is <data dir>/node-id.json:
//
//	{"server_id": "<storage_servers.id>", "address": "<host:port>"}
//
// written durably (temp file, fsync, rename, directory fsync).
package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

// FileName is the marker's name in the data directory. It shares the
// node-id prefix with the older plain-text id file, which stays for
// humans and scripts.
const FileName = "node-id.json"

// Marker is the identity a data directory was last registered under.
type Marker struct {
	ServerID uuid.UUID `json:"server_id"`
	Address  string    `json:"address"`
}

// ReadMarker returns the marker in dir, or nil when there is none. A marker
// that cannot be parsed is an error, not an absence: treating it as absent
// could let a node start on a volume that is not its own.
func ReadMarker(dir string) (*Marker, error) {
	p := filepath.Join(dir, FileName)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	var m Marker
	if err := json.Unmarshal(b, &m); err != nil || m.ServerID == uuid.Nil || m.Address == "" {
		return nil, fmt.Errorf("identity: %s is not a valid marker (want {\"server_id\": <uuid>, \"address\": <host:port>}): fix or remove it", p)
	}
	return &m, nil
}

// WriteMarker replaces the marker in dir with m. It returns once the new
// marker is durable: a crash leaves the old marker or the new one.
func WriteMarker(dir string, m Marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	tmp := filepath.Join(dir, FileName+".tmp")
	if err := writeSynced(tmp, append(b, '\n')); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("identity: write marker: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, FileName)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("identity: write marker: %w", err)
	}
	return syncDir(dir)
}

// writeSynced writes b to a new file p and fsyncs it.
func writeSynced(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the rename into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("identity: fsync %s: %w", dir, err)
	}
	return nil
}
