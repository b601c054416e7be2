package chunkstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Delete removes chunk id and reports whether it existed. Deleting a missing
// chunk is not an error.
func (s *Store) Delete(id string) (bool, error) {
	if err := ValidateID(id); err != nil {
		return false, err
	}
	p := s.path(id)
	s.mu.Lock()
	info, err := os.Lstat(p)
	if err == nil {
		err = os.Remove(p)
	}
	if err == nil {
		s.count--
		s.used -= info.Size()
	}
	s.mu.Unlock()
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("chunkstore: delete: %w", err)
	}
	return true, syncDir(filepath.Dir(p))
}
