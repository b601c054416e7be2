package main

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1GiB", gib},
		{"64MiB", 64 * mib},
		{"4KiB", 4 * kib},
		{"4k", 4 * kib},
		{"10g", 10 * gib},
		{" 2 MiB ", 2 * mib},
		{"512", 512},
		{"512B", 512},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseSizeRejects(t *testing.T) {
	for _, in := range []string{"", "0", "-1", "1.5GiB", "GiB", "10XB", "1TiB", "99999999999GiB"} {
		t.Run(in, func(t *testing.T) {
			if got, err := parseSize(in); err == nil {
				t.Errorf("parseSize(%q) = %d; want an error", in, got)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		in        int64
		want, tag string
	}{
		{gib, "1 GiB", "1g"},
		{64 * mib, "64 MiB", "64m"},
		{4 * kib, "4 KiB", "4k"},
		{1536 * kib, "1536 KiB", "1536k"},
		{100, "100 B", "100b"},
	} {
		if got := formatSize(tc.in); got != tc.want {
			t.Errorf("formatSize(%d) = %q; want %q", tc.in, got, tc.want)
		}
		if got := sizeTag(tc.in); got != tc.tag {
			t.Errorf("sizeTag(%d) = %q; want %q", tc.in, got, tc.tag)
		}
		if back, err := parseSize(tc.want); err != nil || back != tc.in {
			t.Errorf("parseSize(formatSize(%d)) = %d, %v", tc.in, back, err)
		}
	}
}
