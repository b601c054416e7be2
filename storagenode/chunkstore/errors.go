package chunkstore

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

var (
	// ErrInvalidID matches every *InvalidIDError.
	ErrInvalidID = errors.New("chunkstore: invalid chunk id")
	// ErrNotFound is returned when the chunk does not exist.
	ErrNotFound = errors.New("chunkstore: chunk not found")
	// ErrSizeMismatch matches every *SizeMismatchError.
	ErrSizeMismatch = errors.New("chunkstore: size mismatch")
	// ErrTooLarge is returned for a chunk larger than MaxChunkSize.
	ErrTooLarge = errors.New("chunkstore: chunk too large")
	// ErrInvalidRange is returned for a negative offset or length, or an
	// offset beyond the end of the chunk.
	ErrInvalidRange = errors.New("chunkstore: invalid range")
	// ErrInvalidDigest is returned by Put for a Digest it does not know.
	ErrInvalidDigest = errors.New("chunkstore: unknown digest")
)

// InvalidIDError reports a chunk id that is not a canonical lowercase UUID.
type InvalidIDError struct {
	ID string
}

func (e *InvalidIDError) Error() string {
	return fmt.Sprintf("chunkstore: invalid chunk id %q: want a lowercase canonical UUID", e.ID)
}

// Is makes errors.Is(err, ErrInvalidID) true.
func (e *InvalidIDError) Is(target error) bool {
	return target == ErrInvalidID
}

// SizeMismatchError reports a put whose data did not match its announced
// size. Got is the number of bytes received; when the stream ran long, it
// counts only up to the point where the store stopped reading.
type SizeMismatchError struct {
	Expected int64
	Got      int64
}

func (e *SizeMismatchError) Error() string {
	if e.Got > e.Expected {
		return fmt.Sprintf("chunkstore: size mismatch: expected %d bytes, received more", e.Expected)
	}
	return fmt.Sprintf("chunkstore: size mismatch: expected %d bytes, received %d", e.Expected, e.Got)
}

// Is makes errors.Is(err, ErrSizeMismatch) true.
func (e *SizeMismatchError) Is(target error) bool {
	return target == ErrSizeMismatch
}

// ValidateID accepts only the canonical lowercase form of a UUID, the form in
// which it becomes a file name. It touches nothing on disk.
func ValidateID(id string) error {
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		return &InvalidIDError{ID: id}
	}
	return nil
}
