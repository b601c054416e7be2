package db

import (
	"context"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
)

// RingPoint is one virtual node of a server the gateways place chunks on.
type RingPoint struct {
	ServerID uuid.UUID
	Address  string
	Hash     uint32 // the point's position, as ringpoint.Of computes it
}

// ServerAddress names a server by id and address.
type ServerAddress struct {
	ID      uuid.UUID
	Address string
}

// MarkStaleServersInactive marks active servers whose heartbeat is older
// than staleAfter inactive and returns them.
func (s *Store) MarkStaleServersInactive(ctx context.Context, staleAfter time.Duration) ([]ServerAddress, error) {
	rows, err := s.q().MarkStaleServersInactive(ctx, staleAfter.Seconds())
	return convertRows(rows, err, func(r dbq.MarkStaleServersInactiveRow) ServerAddress {
		return ServerAddress{ID: r.ID, Address: r.Address}
	})
}

// PlacementRing returns the ring new chunks are placed on: the points of
// active servers whose heartbeat is fresher than staleAfter.
func (s *Store) PlacementRing(ctx context.Context, staleAfter time.Duration) ([]RingPoint, error) {
	rows, err := s.q().ListPlacementRingNodes(ctx, staleAfter.Seconds())
	return convertRows(rows, err, func(r dbq.ListPlacementRingNodesRow) RingPoint {
		// Stored as int64 because PostgreSQL has no unsigned type; the
		// value is a uint32 (ringpoint.Of).
		return RingPoint{ServerID: r.ServerID, Address: r.Address, Hash: uint32(r.HashValue)}
	})
}

// DownServerAddresses returns the addresses of servers that cannot serve
// reads: not active, or silent for longer than staleAfter.
func (s *Store) DownServerAddresses(ctx context.Context, staleAfter time.Duration) ([]string, error) {
	addrs, err := s.q().ListDownServerAddresses(ctx, staleAfter.Seconds())
	return addrs, Translate(err)
}

// CountActiveUploads counts upload sessions in progress, both doors.
func (s *Store) CountActiveUploads(ctx context.Context) (int64, error) {
	n, err := s.q().CountActiveUploads(ctx)
	return n, Translate(err)
}
