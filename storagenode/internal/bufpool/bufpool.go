// Package bufpool hands out the 1 MiB buffers a storage node copies chunk
// bytes through. Touching fresh memory costs about 3 µs per 4 KiB page, so the
// data path reuses buffers instead of allocating one per chunk or message.
package bufpool

import "sync"

// Size is the length of every pooled buffer: one write to disk, and one
// GetChunk message. PutChunk messages may be larger (up to 4 MiB); their data
// is copied through the buffer in pieces, so Size need not follow them.
const Size = 1 << 20

var pool = sync.Pool{New: func() any {
	b := make([]byte, Size)
	return &b
}}

// Get returns a buffer of len Size. Its contents are whatever the last user
// left; give it back with Put when done.
func Get() *[]byte {
	return pool.Get().(*[]byte)
}

// Put returns a buffer obtained from Get. The caller must not use it after.
func Put(b *[]byte) {
	if b != nil && len(*b) == Size {
		pool.Put(b)
	}
}
