package chunkstore

import (
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"time"
)

// ChunkInfo describes one chunk file.
type ChunkInfo struct {
	ID      string
	Size    int64
	ModTime time.Time // when its last byte was written (a rename keeps it)
}

// All yields every chunk file in no particular order, reading one shard
// directory at a time so that memory does not grow with the store. Files
// whose names are not chunk ids are skipped. A chunk put or deleted during
// the walk may or may not be yielded. A disk error is yielded once, with a
// zero ChunkInfo, and ends the walk.
func (s *Store) All() iter.Seq2[ChunkInfo, error] {
	return func(yield func(ChunkInfo, error) bool) {
		shards, err := os.ReadDir(s.chunksDir)
		if err != nil {
			yield(ChunkInfo{}, fmt.Errorf("chunkstore: %w", err))
			return
		}
		for _, shard := range shards {
			if shard.IsDir() && !s.yieldShard(filepath.Join(s.chunksDir, shard.Name()), yield) {
				return
			}
		}
	}
}

// yieldShard yields the chunks of one shard directory and reports whether
// the walk should go on.
func (s *Store) yieldShard(dir string, yield func(ChunkInfo, error) bool) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		yield(ChunkInfo{}, fmt.Errorf("chunkstore: %w", err))
		return false
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || ValidateID(e.Name()) != nil {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since the directory was read
		}
		if err != nil {
			yield(ChunkInfo{}, fmt.Errorf("chunkstore: %w", err))
			return false
		}
		if !yield(chunkInfo(e.Name(), info), nil) {
			return false
		}
	}
	return true
}

// Stat describes chunk id; a missing chunk is ErrNotFound.
func (s *Store) Stat(id string) (ChunkInfo, error) {
	if err := ValidateID(id); err != nil {
		return ChunkInfo{}, err
	}
	info, err := os.Lstat(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return ChunkInfo{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return ChunkInfo{}, fmt.Errorf("chunkstore: %w", err)
	}
	return chunkInfo(id, info), nil
}

func chunkInfo(id string, info fs.FileInfo) ChunkInfo {
	return ChunkInfo{ID: id, Size: info.Size(), ModTime: info.ModTime()}
}
