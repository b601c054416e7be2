package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MasterKey seals stored secret keys with AES-256-GCM. SigV4 needs the
// plain secret to recompute a signature, so secrets cannot be hashed as
// passwords are; sealed, a dump of the database alone gives none away.
type MasterKey struct {
	aead cipher.AEAD
	id   string
}

// ErrWrongMasterKey is returned (wrapped) by Open when a secret was sealed
// under another master key, or its bytes were altered.
var ErrWrongMasterKey = errors.New("auth: secret sealed under another master key, or altered")

// ParseMasterKey reads a 32-byte key written as 64 hex digits or in
// base64 (standard or URL alphabet, padded or not), surrounding space
// ignored: `openssl rand -hex 32` or `openssl rand -base64 32` make one.
func ParseMasterKey(s string) (*MasterKey, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		raw = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
				raw = b
				break
			}
		}
	}
	if raw == nil {
		return nil, errors.New("the master key must be 32 bytes, as 64 hex digits or base64 (openssl rand -hex 32)")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte("sixfold master key id\x00"), raw...))
	return &MasterKey{aead: aead, id: hex.EncodeToString(sum[:4])}, nil
}

// LoadMasterKey reads the master key from value, or else from the file at
// path; (nil, nil) when neither is set. Errors name the setting, never the
// key.
func LoadMasterKey(value, path string) (*MasterKey, error) {
	from := "SIXFOLD_MASTER_KEY"
	if value == "" && path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		value, from = string(b), "master key file "+path
	}
	if value == "" {
		return nil, nil
	}
	m, err := ParseMasterKey(value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return m, nil
}

// ID names the key without revealing it: stored next to each sealed
// secret, it tells a wrong master key from a damaged row.
func (m *MasterKey) ID() string { return m.id }

// Seal encrypts secret for accessKey: a fresh nonce, then the ciphertext,
// bound to accessKey so that a sealed secret copied to another key's row
// does not open.
func (m *MasterKey) Seal(accessKey, secret string) []byte {
	nonce := make([]byte, m.aead.NonceSize(), m.aead.NonceSize()+len(secret)+m.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return m.aead.Seal(nonce, nonce, []byte(secret), []byte(accessKey))
}

// Open decrypts what Seal returned for accessKey.
func (m *MasterKey) Open(accessKey string, sealed []byte) (string, error) {
	n := m.aead.NonceSize()
	if len(sealed) < n+m.aead.Overhead() {
		return "", ErrWrongMasterKey
	}
	plain, err := m.aead.Open(nil, sealed[:n], sealed[n:], []byte(accessKey))
	if err != nil {
		return "", ErrWrongMasterKey
	}
	return string(plain), nil
}
