package auth

import "testing"

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
