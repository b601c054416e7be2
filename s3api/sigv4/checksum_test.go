package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

func TestChecksums(t *testing.T) {
	check := []byte("123456789")
	tests := []struct {
		alg, input, wantHex, wantB64 string
	}{
		{CRC64NVME, string(check), "ae8b14860a799888", "rosUhgp5mIg="},
		{CRC32, string(check), "cbf43926", "y/Q5Jg=="},
		{CRC32C, string(check), "e3069283", "4waSgw=="},
		{CRC32, "", "00000000", "AAAAAA=="},
		{SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d", ""},
		{SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
		{"crc32c", string(check), "e3069283", ""}, // letter case does not matter
	}
	for _, tc := range tests {
		t.Run(tc.alg+"/"+tc.input, func(t *testing.T) {
			h, err := NewChecksum(tc.alg)
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			h.Write([]byte(tc.input))
			sum := h.Sum(nil)
			if got := hex.EncodeToString(sum); got != tc.wantHex {
				t.Fatalf("got %s; want %s", got, tc.wantHex)
			}
			if got := b64(sum); tc.wantB64 != "" && got != tc.wantB64 {
				t.Fatalf("got base64 %s; want %s", got, tc.wantB64)
			}
		})
	}
}

func TestValidAlgorithm(t *testing.T) {
	for alg, want := range map[string]bool{"CRC32": true, "crc32c": true, "CRC64NVME": true, "SHA1": true,
		"SHA256": true, "MD5": false, "": false, "CRC64": false} {
		if got := ValidAlgorithm(alg); got != want {
			t.Errorf("ValidAlgorithm(%q): got %v; want %v", alg, got, want)
		}
		if _, err := NewChecksum(alg); (err == nil) != want {
			t.Errorf("NewChecksum(%q): got error %v; want ok=%v", alg, err, want)
		}
	}
	if got := ChecksumHeader(CRC32C); got != "x-amz-checksum-crc32c" {
		t.Errorf("got %q; want x-amz-checksum-crc32c", got)
	}
}
