package auth

import (
	"testing"

	"sixfold/gateway/iam"
)

func TestCheck(t *testing.T) {
	ks := NewKeyStore(map[string]string{"root": "root-secret", "app": "app-secret"})
	tests := []struct {
		name, key, secret string
		want              bool
	}{
		{"root pair", "root", "root-secret", true},
		{"second pair", "app", "app-secret", true},
		{"wrong secret", "root", "root-secreT", false},
		{"secret of another key", "root", "app-secret", false},
		{"prefix of secret", "root", "root", false},
		{"unknown key", "nobody", "root-secret", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ks.Check(tt.key, tt.secret); got != tt.want {
				t.Errorf("Check(%q, %q) = %v; want %v", tt.key, tt.secret, got, tt.want)
			}
		})
	}
	if sk, ok := ks.Secret("app"); !ok || sk != "app-secret" {
		t.Errorf("Secret(app) = %q, %v; want app-secret, true", sk, ok)
	}
}

func TestAuthorized(t *testing.T) {
	ro, _ := iam.Builtin("readonly")
	ks := NewKeyStoreWithPolicies(map[string]string{"ro": "ro-secret", "none": "none-secret"}, map[string]*iam.Policy{"ro": ro})
	if !ks.Authorized("ro", "s3:GetObject", iam.ARNPrefix+"b/k") {
		t.Error("readonly key may not read")
	}
	if ks.Authorized("ro", "s3:PutObject", iam.ARNPrefix+"b/k") {
		t.Error("readonly key may write")
	}
	if ks.Authorized("none", "s3:GetObject", iam.ARNPrefix+"b/k") || ks.Authorized("nobody", "s3:GetObject", iam.ARNPrefix+"b/k") {
		t.Error("a key without a policy, or no key, may read")
	}
}
