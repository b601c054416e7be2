package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"sixfold/gateway/auth"
)

// fakeUsers answers from a map and records the policies it was given.
type fakeUsers struct {
	users    map[string]auth.User
	policies []string
	noMaster bool
}

func (f *fakeUsers) CreateUser(_ context.Context, name, policy string) (auth.User, error) {
	if _, ok := f.users[name]; ok {
		return auth.User{}, fmt.Errorf("%w: user %s", auth.ErrExists, name)
	}
	if policy == "bogus" {
		return auth.User{}, fmt.Errorf("%w: policy %q", auth.ErrInvalid, policy)
	}
	f.policies = append(f.policies, policy)
	f.users[name] = auth.User{Name: name, Policy: policy}
	return f.users[name], nil
}
func (f *fakeUsers) Users(context.Context) ([]auth.User, error) { return nil, nil }
func (f *fakeUsers) User(_ context.Context, name string) (auth.User, error) {
	u, ok := f.users[name]
	if !ok {
		return auth.User{}, fmt.Errorf("%w: %s", auth.ErrNoSuchUser, name)
	}
	return u, nil
}
func (f *fakeUsers) SetPolicy(ctx context.Context, name, policy string) (auth.User, error) {
	f.policies = append(f.policies, policy)
	return f.User(ctx, name)
}
func (f *fakeUsers) SetUserDisabled(ctx context.Context, name string, _ bool) (auth.User, error) {
	return f.User(ctx, name)
}
func (f *fakeUsers) DeleteUser(context.Context, string) error { return nil }
func (f *fakeUsers) CreateKey(ctx context.Context, user string) (auth.AccessKey, error) {
	if f.noMaster {
		return auth.AccessKey{}, auth.ErrNoMasterKey
	}
	if _, err := f.User(ctx, user); err != nil {
		return auth.AccessKey{}, err
	}
	return auth.AccessKey{AccessKey: "SFKEY", SecretKey: "shown-once", User: user}, nil
}
func (f *fakeUsers) SetKeyDisabled(context.Context, string, bool) (auth.AccessKey, error) {
	return auth.AccessKey{}, fmt.Errorf("%w: x", auth.ErrNoSuchKey)
}
func (f *fakeUsers) RotateKey(context.Context, string) (auth.AccessKey, error) {
	return auth.AccessKey{}, nil
}
func (f *fakeUsers) DeleteKey(context.Context, string) error { return nil }

func TestUserRoutes(t *testing.T) {
	f := &fakeUsers{users: map[string]auth.User{"alice": {Name: "alice"}}}
	h := New(&fakeStore{}, nil).WithUsers(f)
	for _, c := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{http.MethodPost, "/admin/users", `{"name": "bob", "policy": "readonly"}`, http.StatusCreated, ""},
		{http.MethodPost, "/admin/users", `{"name": "carol", "policy": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}`, http.StatusCreated, ""},
		{http.MethodPost, "/admin/users", `{"name": "alice"}`, http.StatusConflict, "AlreadyExists"},
		{http.MethodPost, "/admin/users", `{"name": "dave", "policy": "bogus"}`, http.StatusBadRequest, "InvalidRequest"},
		{http.MethodPost, "/admin/users", `{"name": "eve", "admin": true}`, http.StatusBadRequest, "InvalidRequest"},
		{http.MethodPost, "/admin/users", `{"name": "eve"} {}`, http.StatusBadRequest, "InvalidRequest"},
		{http.MethodGet, "/admin/users/nobody", "", http.StatusNotFound, "NoSuchUser"},
		{http.MethodPut, "/admin/users/alice", `{}`, http.StatusBadRequest, "InvalidRequest"},
		{http.MethodPut, "/admin/users/alice", `{"policy": "none-of-the-above", "disabled": true}`, http.StatusOK, ""},
		{http.MethodPut, "/admin/keys/SFX", `{"disabled": true}`, http.StatusNotFound, "NoSuchKey"},
		{http.MethodPut, "/admin/keys/SFX", `{"enabled": true}`, http.StatusBadRequest, "InvalidRequest"},
		{http.MethodPost, "/admin/users/nobody/keys", "", http.StatusNotFound, "NoSuchUser"},
	} {
		rec := serve(h, c.method, c.path, c.body)
		var body struct{ Error struct{ Code string } }
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != c.status || body.Error.Code != c.code {
			t.Errorf("%s %s %s: %d %s; want %d %s", c.method, c.path, c.body, rec.Code, rec.Body, c.status, c.code)
		}
	}
	if want := []string{"readonly", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "none-of-the-above"}; strings.Join(f.policies, "|") != strings.Join(want, "|") {
		t.Errorf("policies passed on %q; want %q (a document compacted)", f.policies, want)
	}

	rec := serve(h, http.MethodPost, "/admin/users/alice/keys", "")
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"secret_key":"shown-once"`) || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("key create: %d %s (Cache-Control %q); want 201 with the secret, not cached", rec.Code, rec.Body, rec.Header().Get("Cache-Control"))
	}
	if rec := serve(h, http.MethodGet, "/admin/users/alice", ""); strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("a user's view holds a secret field: %s", rec.Body)
	}
	f.noMaster = true
	if rec := serve(h, http.MethodPost, "/admin/users/alice/keys", ""); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "NoMasterKey") {
		t.Errorf("key create without a master key: %d %s; want 503 NoMasterKey", rec.Code, rec.Body)
	}
}
