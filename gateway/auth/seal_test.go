package auth

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sixfold/gateway/iam"
)

const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestSealOpen(t *testing.T) {
	m, err := ParseMasterKey(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed := m.Seal("SFKEY1", "the-secret-key")
	if bytes.Contains(sealed, []byte("the-secret-key")) {
		t.Fatal("sealed bytes hold the secret in clear")
	}
	if again := m.Seal("SFKEY1", "the-secret-key"); bytes.Equal(again, sealed) {
		t.Error("two seals of one secret are equal: the nonce is not fresh")
	}
	if got, err := m.Open("SFKEY1", sealed); err != nil || got != "the-secret-key" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := m.Open("SFKEY2", sealed); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("Open under another access key: %v; want ErrWrongMasterKey", err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	if _, err := m.Open("SFKEY1", flipped); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("Open of altered bytes: %v", err)
	}
	other, _ := ParseMasterKey(strings.Repeat("ab", 32))
	if _, err := other.Open("SFKEY1", sealed); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("Open under another master key: %v", err)
	}
	if other.ID() == m.ID() {
		t.Error("two master keys share an id")
	}
	if _, err := m.Open("SFKEY1", sealed[:5]); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("Open of a short value: %v", err)
	}
}

func TestParseMasterKey(t *testing.T) {
	for _, s := range []string{hexKey, "  " + hexKey + "\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"} {
		m, err := ParseMasterKey(s)
		if err != nil {
			t.Errorf("ParseMasterKey(%q): %v", s, err)
			continue
		}
		if want, _ := ParseMasterKey(hexKey); m.ID() != want.ID() {
			t.Errorf("ParseMasterKey(%q) is another key than the hex one", s)
		}
	}
	for _, s := range []string{"", "short", hexKey[:62], hexKey + "00"} {
		if _, err := ParseMasterKey(s); err == nil {
			t.Errorf("ParseMasterKey(%q) accepted", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
}

func TestLoadMasterKey(t *testing.T) {
	if m, err := LoadMasterKey("", ""); m != nil || err != nil {
		t.Errorf("nothing set: %v, %v; want nil, nil", m, err)
	}
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(hexKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if m, err := LoadMasterKey("", path); err != nil || m == nil {
		t.Errorf("from file: %v, %v", m, err)
	}
	if _, err := LoadMasterKey("", path+".missing"); err == nil {
		t.Error("a missing file was accepted")
	}
	if _, err := LoadMasterKey("not-a-key", ""); err == nil || !strings.Contains(err.Error(), "SIXFOLD_MASTER_KEY") {
		t.Errorf("a bad value: %v; want an error naming the variable", err)
	}
}

func TestStoredKeys(t *testing.T) {
	admin, _ := iam.Builtin("admin")
	ro, _ := iam.Builtin("readonly")
	ks := NewKeyStoreWithPolicies(map[string]string{"root": "root-secret"}, map[string]*iam.Policy{"root": admin})
	ks.SetStored(map[string]Key{
		"root":   {Secret: "stolen", Identity: "mallory", Policy: admin},
		"SFUSER": {Secret: "user-secret", Identity: "alice", Policy: ro},
	})
	if !ks.Check("root", "root-secret") || ks.Check("root", "stolen") {
		t.Error("a stored key shadows the configured root pair")
	}
	if !ks.Check("SFUSER", "user-secret") || ks.Identity("SFUSER") != "alice" || ks.Identity("root") != "root" {
		t.Errorf("stored key: check %v, identity %q", ks.Check("SFUSER", "user-secret"), ks.Identity("SFUSER"))
	}
	if !ks.Authorized("SFUSER", "s3:GetObject", iam.ARNPrefix+"b/k") || ks.Authorized("SFUSER", "s3:PutObject", iam.ARNPrefix+"b/k") {
		t.Error("the stored key does not act under its user's policy")
	}
	ks.SetStored(map[string]Key{})
	if ks.Check("SFUSER", "user-secret") || ks.Identity("SFUSER") != "" {
		t.Error("a key dropped from the stored set still works")
	}
}

func TestRandomString(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		ak, sk := newAccessKey(), newSecret()
		if len(ak) != 20 || !strings.HasPrefix(ak, "SF") || len(sk) != 40 || seen[ak] {
			t.Fatalf("access key %q, secret of %d characters", ak, len(sk))
		}
		seen[ak] = true
		for _, r := range ak[2:] {
			if !strings.ContainsRune(akAlphabet, r) {
				t.Fatalf("access key %q has %q", ak, r)
			}
		}
	}
}
