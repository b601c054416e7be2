package s3api

import (
	"strings"
	"unicode/utf8"
)

// maxKeyLength is S3's limit on a key, in bytes of UTF-8.
const maxKeyLength = 1024

// validKey reports whether key may name an object: non-empty valid UTF-8 of
// at most 1024 bytes without NUL. Nothing else is forbidden: keys are opaque
// strings ("a/../b" is a key like any other).
func validKey(key string) bool {
	return key != "" && len(key) <= maxKeyLength &&
		utf8.ValidString(key) && !strings.ContainsRune(key, 0)
}

// validBucketName applies S3's naming rules for general purpose buckets:
// 3–63 characters of lowercase letters, digits, '.' and '-', starting and
// ending with a letter or digit, no "..", not shaped like an IPv4 address,
// and none of the prefixes and suffixes S3 reserves.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") {
		return false
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !alnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return !ipLike(name) && !reservedAffix(name)
}

// alnum reports whether c is a lowercase ASCII letter or a digit.
func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// ipLike reports whether name is four dot-separated runs of digits, as
// 192.168.5.4 is.
func ipLike(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// reservedAffix reports the prefixes and suffixes S3 keeps for itself.
func reservedAffix(name string) bool {
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3", ".mrap"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}
