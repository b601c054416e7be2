// Package auth holds the gateway's access keys and checks credentials in
// constant time. Both doors use it: /files through HTTP Basic, S3 through
// SigV4 (which needs the secret itself, hence Secret).
package auth

import (
	"crypto/subtle"

	"sixfold/gateway/iam"
)

// KeyStore maps access keys to secrets and policies. It is immutable after
// NewKeyStore and safe for concurrent use.
type KeyStore struct {
	secrets  map[string]string
	policies map[string]*iam.Policy
}

// NewKeyStoreWithPolicies is NewKeyStore whose keys act under policies:
// a key without one may do nothing (least privilege).
func NewKeyStoreWithPolicies(pairs map[string]string, policies map[string]*iam.Policy) *KeyStore {
	k := NewKeyStore(pairs)
	k.policies = policies
	return k
}

// Authorized reports whether accessKey's policy lets it perform action on
// resource (an S3 ARN, or "*" for the cluster's controls).
func (k *KeyStore) Authorized(accessKey, action, resource string) bool {
	return k.policies[accessKey].Allowed(action, resource)
}

// NewKeyStore builds a store from access-key → secret pairs; later pairs
// win over earlier ones with the same access key.
func NewKeyStore(pairs map[string]string) *KeyStore {
	secrets := make(map[string]string, len(pairs))
	for ak, sk := range pairs {
		secrets[ak] = sk
	}
	return &KeyStore{secrets: secrets}
}

// Secret returns the secret of accessKey.
func (k *KeyStore) Secret(accessKey string) (string, bool) {
	sk, ok := k.secrets[accessKey]
	return sk, ok
}

// Check reports whether secret belongs to accessKey. It compares in
// constant time, and does the same work for an unknown key, so timing
// reveals neither which keys exist nor how much of a secret matched.
func (k *KeyStore) Check(accessKey, secret string) bool {
	want, known := k.secrets[accessKey]
	if !known {
		want = "\x00unknown-access-key-placeholder"
	}
	match := subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
	return known && match
}
