package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// sizeSuffixes is checked longest first, so "KiB" is not read as "B".
var sizeSuffixes = []struct {
	suffix string
	mult   int64
}{
	{"GiB", gib}, {"MiB", mib}, {"KiB", kib}, {"G", gib}, {"M", mib}, {"K", kib}, {"B", 1},
}

// parseSize reads "1GiB", "64MiB", "4KiB", "4k", "512" (bytes) and the like:
// binary multiples only, since every size here is a buffer or object size.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num, mult := s, int64(1)
	for _, sf := range sizeSuffixes {
		if n, ok := cutSuffixFold(s, sf.suffix); ok {
			num, mult = strings.TrimSpace(n), sf.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want a positive whole number with an optional KiB, MiB or GiB", s)
	}
	if n > (1<<62)/mult {
		return 0, errors.New("size " + s + " is too large")
	}
	return n * mult, nil
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

// formatSize is the shortest exact binary form: "1 GiB", "4 KiB", "1536 KiB", "100 B".
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"GiB", gib}, {"MiB", mib}, {"KiB", kib}} {
		if n >= u.mult && n%u.mult == 0 {
			return fmt.Sprintf("%d %s", n/u.mult, u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// sizeTag names a size inside a case id: "4k", "1m", "1g", "1500b".
func sizeTag(n int64) string {
	f := strings.Fields(formatSize(n))
	return f[0] + strings.ToLower(f[1][:1])
}
