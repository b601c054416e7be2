package chunkstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Delete removes chunk id and reports whether it existed. Deleting a missing
// chunk is not an error.
func (s *Store) Delete(id string) (bool, error) {
	return s.remove(id, time.Time{})
}

// DeleteIfOlder removes chunk id only if its file was last written before
// cutoff, and reports whether it removed it. The age check and the removal
// are one step with respect to Put, so a chunk put again meanwhile stays.
func (s *Store) DeleteIfOlder(id string, cutoff time.Time) (bool, error) {
	if cutoff.IsZero() {
		return false, errors.New("chunkstore: DeleteIfOlder needs a cutoff")
	}
	return s.remove(id, cutoff)
}

// remove deletes chunk id, unless cutoff is set and the file is not older.
func (s *Store) remove(id string, cutoff time.Time) (bool, error) {
	if err := ValidateID(id); err != nil {
		return false, err
	}
	p := s.path(id)
	var mark logMark
	var logErr error
	s.mu.Lock()
	size, err := removeFile(p, cutoff)
	if size >= 0 {
		s.count--
		s.used -= size
		// Else a replay after a crash would bring the chunk back.
		mark, logErr = s.supersede(id)
	}
	s.mu.Unlock()
	if err != nil {
		return false, fmt.Errorf("chunkstore: delete: %w", err)
	}
	if size < 0 {
		return false, nil
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return true, err
	}
	if logErr != nil {
		return true, logErr
	}
	return true, mark.wait()
}

// removeFile removes p, unless it is absent or cutoff is set and p was
// written at or after it, and returns the size it had: -1 when it stays.
func removeFile(p string, cutoff time.Time) (int64, error) {
	info, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	if !cutoff.IsZero() && !info.ModTime().Before(cutoff) {
		return -1, nil
	}
	if err := os.Remove(p); err != nil {
		return -1, err
	}
	return info.Size(), nil
}
