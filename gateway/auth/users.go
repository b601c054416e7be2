package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/gateway/iam"
)

// Errors of Users' operations (wrapped), for the admin API to map to
// statuses.
var (
	ErrNoSuchUser  = errors.New("no such user")
	ErrNoSuchKey   = errors.New("no such access key")
	ErrExists      = errors.New("already exists")
	ErrInvalid     = errors.New("invalid")
	ErrNoMasterKey = errors.New("no master key is configured (SIXFOLD_MASTER_KEY or SIXFOLD_MASTER_KEY_FILE), so access keys cannot be stored")
	ErrUnavailable = errors.New("metadata store unavailable")
)

// User is a stored user, as the admin API shows it (never a secret).
type User struct {
	Name      string      `json:"name"`
	Policy    string      `json:"policy"`
	Disabled  bool        `json:"disabled"`
	CreatedAt time.Time   `json:"created_at"`
	Keys      []AccessKey `json:"keys"`
}

// AccessKey is a stored key, as the admin API shows it. SecretKey is set
// only in the answer that creates or rotates it: it is shown once.
type AccessKey struct {
	AccessKey string     `json:"access_key"`
	SecretKey string     `json:"secret_key,omitempty"`
	User      string     `json:"user"`
	Disabled  bool       `json:"disabled"`
	CreatedAt time.Time  `json:"created_at"`
	RotatedAt *time.Time `json:"rotated_at,omitempty"`
}

// Users manages users and access keys in PostgreSQL and keeps a KeyStore's
// stored keys current: every change made here reloads this gateway's
// cache before returning, and every gateway reloads on the notification
// the tables' triggers send (Listen).
type Users struct {
	db     *db.Store
	master *MasterKey
	keys   *KeyStore
	log    zerolog.Logger
}

// NewUsers returns the user store over store feeding keys. master may be
// nil: users can still be managed, but no key can be created, rotated or
// loaded.
func NewUsers(store *db.Store, master *MasterKey, keys *KeyStore, log zerolog.Logger) *Users {
	return &Users{db: store, master: master, keys: keys, log: log}
}

// Reload reads every key and swaps the KeyStore's stored keys for them.
// A key that does not open under the master key, or whose user's policy
// no longer parses, is left out and logged by access key (never secret).
func (u *Users) Reload(ctx context.Context) error {
	rows, err := u.db.ListSealedIAMKeys(ctx)
	if err != nil {
		return err
	}
	keys := make(map[string]Key, len(rows))
	for _, r := range rows {
		if r.KeyDisabled || r.UserDisabled {
			continue
		}
		if u.master == nil {
			u.log.Error().Str("access_key", r.AccessKey).Msg("stored access key ignored: " + ErrNoMasterKey.Error())
			continue
		}
		secret, err := u.master.Open(r.AccessKey, r.SecretSealed)
		if err != nil {
			u.log.Error().Str("access_key", r.AccessKey).Str("sealed_under", r.MasterKeyID).Str("master_key_id", u.master.ID()).
				Msg("stored access key ignored: its secret does not open under this gateway's master key")
			continue
		}
		policy, err := iam.Resolve(r.Policy)
		if err != nil {
			u.log.Error().Str("user", r.UserName).Err(err).Msg("user's policy ignored: it allows nothing until fixed")
		}
		keys[r.AccessKey] = Key{Secret: secret, Identity: r.UserName, Policy: policy}
	}
	u.keys.SetStored(keys)
	return nil
}

// iamChannel is the channel migration 0019's triggers notify.
const iamChannel = "sixfold_iam"

// Listen keeps the key cache current until ctx ends: it reloads on every
// notification, and every interval in case one was lost while the
// listening connection was down.
func (u *Users) Listen(ctx context.Context, interval time.Duration) {
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := u.Reload(ctx); err != nil && ctx.Err() == nil {
					u.log.Warn().Err(err).Msg("access key reload failed")
				}
			}
		}
	}()
	backoff := time.Second
	for ctx.Err() == nil {
		err := u.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		u.log.Warn().Err(err).Dur("retry_in", backoff).Msg("access key notifications lost; listening again")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (u *Users) listenOnce(ctx context.Context) error {
	// What changed while we were not listening, then each change.
	return u.db.Listen(ctx, iamChannel, func() {
		if err := u.Reload(ctx); err != nil {
			u.log.Warn().Err(err).Msg("access key reload failed")
		}
	})
}

var userName = regexp.MustCompile(`^[A-Za-z0-9_.@+=-]{1,64}$`)

// CreateUser adds a user acting under policy ("" for none, a built-in's
// name, or a policy document).
func (u *Users) CreateUser(ctx context.Context, name, policy string) (User, error) {
	if !userName.MatchString(name) {
		return User{}, fmt.Errorf("%w: user name %q: 1 to 64 of A-Z a-z 0-9 _ . @ + = -", ErrInvalid, name)
	}
	if u.keys.Configured(name) {
		return User{}, fmt.Errorf("%w: %q is a configured access key; pick another name", ErrExists, name)
	}
	if _, err := iam.Resolve(policy); err != nil {
		return User{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	row, err := u.db.InsertIAMUser(ctx, name, policy)
	if err != nil {
		return User{}, u.fail(err, "user "+name)
	}
	return userOf(row, nil), u.Reload(ctx)
}

// Users lists every user with its keys.
func (u *Users) Users(ctx context.Context) ([]User, error) {
	rows, err := u.db.ListIAMUsers(ctx)
	if err != nil {
		return nil, u.fail(err, "")
	}
	keys, err := u.db.ListIAMKeys(ctx)
	if err != nil {
		return nil, u.fail(err, "")
	}
	byUser := map[string][]AccessKey{}
	for _, k := range keys {
		byUser[k.UserName] = append(byUser[k.UserName], keyOf(k))
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = userOf(r, byUser[r.Name])
	}
	return out, nil
}

// User returns one user with its keys.
func (u *Users) User(ctx context.Context, name string) (User, error) {
	row, err := u.db.GetIAMUser(ctx, name)
	if err != nil {
		return User{}, u.fail(err, "user "+name)
	}
	keys, err := u.db.ListIAMKeysOfUser(ctx, name)
	if err != nil {
		return User{}, u.fail(err, "")
	}
	ks := make([]AccessKey, len(keys))
	for i, k := range keys {
		ks[i] = keyOf(k)
	}
	return userOf(row, ks), nil
}

// SetPolicy replaces a user's policy.
func (u *Users) SetPolicy(ctx context.Context, name, policy string) (User, error) {
	if _, err := iam.Resolve(policy); err != nil {
		return User{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := u.db.SetIAMUserPolicy(ctx, name, policy); err != nil {
		return User{}, u.fail(err, "user "+name)
	}
	if err := u.Reload(ctx); err != nil {
		return User{}, err
	}
	return u.User(ctx, name)
}

// SetUserDisabled disables (every key of) a user, or enables it again.
func (u *Users) SetUserDisabled(ctx context.Context, name string, disabled bool) (User, error) {
	if err := u.db.SetIAMUserDisabled(ctx, name, disabled); err != nil {
		return User{}, u.fail(err, "user "+name)
	}
	if err := u.Reload(ctx); err != nil {
		return User{}, err
	}
	return u.User(ctx, name)
}

// DeleteUser deletes a user and its keys. What it owns stays, for admins,
// under deletedOwner(name): an identity no user name can spell, so a user
// created later under the same name inherits none of it.
func (u *Users) DeleteUser(ctx context.Context, name string) error {
	deleted, err := u.db.DeleteIAMUser(ctx, name, deletedOwner(name, time.Now()))
	if err != nil {
		return u.fail(err, "user "+name)
	}
	if !deleted {
		return fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	return u.Reload(ctx)
}

// deletedOwner is the owner of what a user deleted at t owned. The space
// and colon keep it outside userName's alphabet.
func deletedOwner(name string, t time.Time) string {
	return "deleted: " + name + " " + t.UTC().Format(time.RFC3339Nano)
}

// CreateKey gives user a new access key; the answer is the only place its
// secret is ever shown.
func (u *Users) CreateKey(ctx context.Context, user string) (AccessKey, error) {
	if u.master == nil {
		return AccessKey{}, ErrNoMasterKey
	}
	ak, sk := newAccessKey(), newSecret()
	row, err := u.db.InsertIAMKey(ctx, ak, user, u.master.Seal(ak, sk), u.master.ID())
	if err != nil {
		if errors.Is(err, db.ErrNotFound) { // the user
			return AccessKey{}, fmt.Errorf("%w: %s", ErrNoSuchUser, user)
		}
		return AccessKey{}, u.fail(err, "access key")
	}
	k := keyOf(row)
	k.SecretKey = sk
	return k, u.Reload(ctx)
}

// SetKeyDisabled disables an access key, or enables it again.
func (u *Users) SetKeyDisabled(ctx context.Context, accessKey string, disabled bool) (AccessKey, error) {
	row, err := u.db.SetIAMKeyDisabled(ctx, accessKey, disabled)
	if err != nil {
		return AccessKey{}, u.keyFail(err, accessKey)
	}
	return keyOf(row), u.Reload(ctx)
}

// RotateKey gives an access key a new secret, shown once; the old secret
// stops working at once, on every gateway.
func (u *Users) RotateKey(ctx context.Context, accessKey string) (AccessKey, error) {
	if u.master == nil {
		return AccessKey{}, ErrNoMasterKey
	}
	sk := newSecret()
	row, err := u.db.RotateIAMKey(ctx, accessKey, u.master.Seal(accessKey, sk), u.master.ID())
	if err != nil {
		return AccessKey{}, u.keyFail(err, accessKey)
	}
	k := keyOf(row)
	k.SecretKey = sk
	return k, u.Reload(ctx)
}

// DeleteKey deletes an access key.
func (u *Users) DeleteKey(ctx context.Context, accessKey string) error {
	deleted, err := u.db.DeleteIAMKey(ctx, accessKey)
	if err != nil {
		return u.fail(err, "")
	}
	if !deleted {
		return fmt.Errorf("%w: %s", ErrNoSuchKey, accessKey)
	}
	return u.Reload(ctx)
}

// fail maps a query error: not found is ErrNoSuchUser, a duplicate
// ErrExists, an unreachable database ErrUnavailable.
func (u *Users) fail(err error, what string) error {
	switch {
	case errors.Is(err, db.ErrNotFound):
		return fmt.Errorf("%w: %s", ErrNoSuchUser, what)
	case errors.Is(err, db.ErrConflict):
		return fmt.Errorf("%w: %s", ErrExists, what)
	case errors.Is(err, db.ErrUnavailable):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func (u *Users) keyFail(err error, accessKey string) error {
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNoSuchKey, accessKey)
	}
	return u.fail(err, "")
}

func userOf(r db.IAMUser, keys []AccessKey) User {
	if keys == nil {
		keys = []AccessKey{}
	}
	return User{Name: r.Name, Policy: r.Policy, Disabled: r.Disabled, CreatedAt: r.CreatedAt, Keys: keys}
}

func keyOf(r db.IAMKey) AccessKey {
	return AccessKey{AccessKey: r.AccessKey, User: r.UserName, Disabled: r.Disabled, CreatedAt: r.CreatedAt, RotatedAt: r.RotatedAt}
}

// Access keys look like AWS's (20 upper-case letters and digits, so they
// survive any URL or shell unquoted), prefixed SF; secrets are 40
// characters of base62, about 238 bits.
const (
	akAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	skAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func newAccessKey() string { return "SF" + randomString(akAlphabet, 18) }
func newSecret() string    { return randomString(skAlphabet, 40) }

// randomString draws n characters uniformly from alphabet (rejection
// sampling, so no character is likelier than another).
func randomString(alphabet string, n int) string {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
