// Package auth holds the gateway's access keys and checks credentials in
// constant time. Both doors use it: /files through HTTP Basic, S3 through
// SigV4 (which needs the secret itself, hence Secret).
//
// Keys come from two places: the configuration (the root pair and
// auth.keys, fixed for the process's life) and PostgreSQL (users and keys
// managed at runtime, see Users), whose snapshot is swapped in whole each
// time the tables change. A configured key wins over a stored one of the
// same name, so the root pair stays the break-glass key whatever the
// database holds.
package auth

import (
	"crypto/subtle"
	"sync/atomic"

	"sixfold/gateway/iam"
)

// Key is what a gateway knows of one access key.
type Key struct {
	Secret string
	// Identity owns what the key creates: the user's name for a stored
	// key, the access key itself for a configured one.
	Identity string
	// Policy says what the key may do; nil allows nothing.
	Policy *iam.Policy
}

// KeyStore maps access keys to secrets and policies. It is safe for
// concurrent use.
type KeyStore struct {
	static map[string]Key
	stored atomic.Pointer[map[string]Key]
}

// NewKeyStoreWithPolicies is NewKeyStore whose keys act under policies:
// a key without one may do nothing (least privilege).
func NewKeyStoreWithPolicies(pairs map[string]string, policies map[string]*iam.Policy) *KeyStore {
	k := NewKeyStore(pairs)
	for ak, key := range k.static {
		key.Policy = policies[ak]
		k.static[ak] = key
	}
	return k
}

// NewKeyStore builds a store from access-key → secret pairs, each its own
// identity and with no policy.
func NewKeyStore(pairs map[string]string) *KeyStore {
	static := make(map[string]Key, len(pairs))
	for ak, sk := range pairs {
		static[ak] = Key{Secret: sk, Identity: ak}
	}
	return &KeyStore{static: static}
}

// SetStored replaces the keys read from PostgreSQL. Only enabled keys of
// enabled users belong in it.
func (k *KeyStore) SetStored(keys map[string]Key) { k.stored.Store(&keys) }

// Configured reports whether accessKey is one of the configuration's: it
// cannot be managed at runtime, and no user may be created in its name.
func (k *KeyStore) Configured(accessKey string) bool {
	_, ok := k.static[accessKey]
	return ok
}

func (k *KeyStore) lookup(accessKey string) (Key, bool) {
	if key, ok := k.static[accessKey]; ok {
		return key, true
	}
	if m := k.stored.Load(); m != nil {
		key, ok := (*m)[accessKey]
		return key, ok
	}
	return Key{}, false
}

// Authorized reports whether accessKey's policy lets it perform action on
// resource (an S3 ARN, or "*" for the cluster's controls).
func (k *KeyStore) Authorized(accessKey, action, resource string) bool {
	key, _ := k.lookup(accessKey)
	return key.Policy.Allowed(action, resource)
}

// Identity is the owner accessKey's requests act as, or "" for an unknown
// key.
func (k *KeyStore) Identity(accessKey string) string {
	key, _ := k.lookup(accessKey)
	return key.Identity
}

// Resources lists the resource patterns accessKey's policy allows and
// denies for action (see iam.Policy.Resources): searches turn them into
// conditions, so that a key finds only what it may read.
func (k *KeyStore) Resources(accessKey, action string) (allow, deny []string) {
	key, _ := k.lookup(accessKey)
	return key.Policy.Resources(action)
}

// Secret returns the secret of accessKey.
func (k *KeyStore) Secret(accessKey string) (string, bool) {
	key, ok := k.lookup(accessKey)
	return key.Secret, ok
}

// Check reports whether secret belongs to accessKey. It compares in
// constant time, and does the same work for an unknown key, so timing
// reveals neither which keys exist nor how much of a secret matched.
func (k *KeyStore) Check(accessKey, secret string) bool {
	key, known := k.lookup(accessKey)
	want := key.Secret
	if !known {
		want = "\x00unknown-access-key-placeholder"
	}
	match := subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
	return known && match
}
