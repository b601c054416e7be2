package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"sixfold/db/internal/dbq"
)

// IAMUser is a stored user.
type IAMUser struct {
	Name      string
	Policy    string // "", a built-in policy's name, or a policy document
	Disabled  bool
	CreatedAt time.Time
}

// IAMKey is a stored access key, without its secret.
type IAMKey struct {
	AccessKey string
	UserName  string
	Disabled  bool
	CreatedAt time.Time
	RotatedAt *time.Time // nil until first rotated
}

// SealedIAMKey is an access key as the gateways cache it: its secret
// sealed under the master key MasterKeyID names, with its user's policy.
type SealedIAMKey struct {
	AccessKey    string
	SecretSealed []byte
	MasterKeyID  string
	KeyDisabled  bool
	UserName     string
	Policy       string
	UserDisabled bool
}

// ListSealedIAMKeys returns every key with its user.
func (s *Store) ListSealedIAMKeys(ctx context.Context) ([]SealedIAMKey, error) {
	rows, err := s.q().ListIAMKeys(ctx)
	return convertRows(rows, err, func(r dbq.ListIAMKeysRow) SealedIAMKey {
		return SealedIAMKey(r)
	})
}

// InsertIAMUser stores a new user; ErrConflict when the name is taken.
func (s *Store) InsertIAMUser(ctx context.Context, name, policy string) (IAMUser, error) {
	row, err := s.q().InsertIAMUser(ctx, dbq.InsertIAMUserParams{Name: name, Policy: policy})
	return iamUser(row), Translate(err)
}

// ListIAMUsers returns every user.
func (s *Store) ListIAMUsers(ctx context.Context) ([]IAMUser, error) {
	rows, err := s.q().ListIAMUsers(ctx)
	return convertRows(rows, err, iamUser)
}

// GetIAMUser returns one user, or ErrNotFound.
func (s *Store) GetIAMUser(ctx context.Context, name string) (IAMUser, error) {
	row, err := s.q().GetIAMUser(ctx, name)
	return iamUser(row), Translate(err)
}

// ListIAMKeys returns every user's keys.
func (s *Store) ListIAMKeys(ctx context.Context) ([]IAMKey, error) {
	rows, err := s.q().ListAllIAMKeys(ctx)
	return convertRows(rows, err, func(r dbq.ListAllIAMKeysRow) IAMKey {
		return iamKey(dbq.InsertIAMKeyRow(r))
	})
}

// ListIAMKeysOfUser returns one user's keys.
func (s *Store) ListIAMKeysOfUser(ctx context.Context, user string) ([]IAMKey, error) {
	rows, err := s.q().ListIAMKeysOfUser(ctx, user)
	return convertRows(rows, err, func(r dbq.ListIAMKeysOfUserRow) IAMKey {
		return iamKey(dbq.InsertIAMKeyRow(r))
	})
}

// SetIAMUserPolicy replaces a user's policy; ErrNotFound: no such user.
func (s *Store) SetIAMUserPolicy(ctx context.Context, name, policy string) error {
	_, err := s.q().SetIAMUserPolicy(ctx, dbq.SetIAMUserPolicyParams{Name: name, Policy: policy})
	return Translate(err)
}

// SetIAMUserDisabled disables or enables a user; ErrNotFound: no such user.
func (s *Store) SetIAMUserDisabled(ctx context.Context, name string, disabled bool) error {
	_, err := s.q().SetIAMUserDisabled(ctx, dbq.SetIAMUserDisabledParams{Name: name, Disabled: disabled})
	return Translate(err)
}

// DeleteIAMUser deletes a user and its keys, and hands what it owned to
// tombstone, in one transaction. It reports false when there was no such
// user.
func (s *Store) DeleteIAMUser(ctx context.Context, name, tombstone string) (bool, error) {
	var n int64
	err := WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		var err error
		if n, err = q.DeleteIAMUser(ctx, name); err != nil || n == 0 {
			return err
		}
		return q.DisownIdentity(ctx, dbq.DisownIdentityParams{Identity: name, Tombstone: tombstone})
	})
	return n > 0, err
}

// InsertIAMKey stores a new key of user: ErrNotFound when there is no such
// user, ErrConflict when the access key is taken.
func (s *Store) InsertIAMKey(ctx context.Context, accessKey, user string, sealed []byte, masterKeyID string) (IAMKey, error) {
	row, err := s.q().InsertIAMKey(ctx, dbq.InsertIAMKeyParams{
		AccessKey: accessKey, UserName: user, SecretSealed: sealed, MasterKeyID: masterKeyID,
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation: the user
		return IAMKey{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return iamKey(row), Translate(err)
}

// SetIAMKeyDisabled disables or enables a key; ErrNotFound: no such key.
func (s *Store) SetIAMKeyDisabled(ctx context.Context, accessKey string, disabled bool) (IAMKey, error) {
	row, err := s.q().SetIAMKeyDisabled(ctx, dbq.SetIAMKeyDisabledParams{AccessKey: accessKey, Disabled: disabled})
	return iamKey(dbq.InsertIAMKeyRow(row)), Translate(err)
}

// RotateIAMKey replaces a key's sealed secret; ErrNotFound: no such key.
func (s *Store) RotateIAMKey(ctx context.Context, accessKey string, sealed []byte, masterKeyID string) (IAMKey, error) {
	row, err := s.q().RotateIAMKey(ctx, dbq.RotateIAMKeyParams{AccessKey: accessKey, SecretSealed: sealed, MasterKeyID: masterKeyID})
	return iamKey(dbq.InsertIAMKeyRow(row)), Translate(err)
}

// DeleteIAMKey deletes a key. It reports false when there was no such key.
func (s *Store) DeleteIAMKey(ctx context.Context, accessKey string) (bool, error) {
	n, err := s.q().DeleteIAMKey(ctx, accessKey)
	return n > 0, Translate(err)
}

func iamUser(r dbq.IamUser) IAMUser {
	return IAMUser{Name: r.Name, Policy: r.Policy, Disabled: r.Disabled, CreatedAt: r.CreatedAt}
}

func iamKey(r dbq.InsertIAMKeyRow) IAMKey {
	return IAMKey{AccessKey: r.AccessKey, UserName: r.UserName, Disabled: r.Disabled, CreatedAt: r.CreatedAt, RotatedAt: timeOrNil(r.RotatedAt)}
}

func timeOrNil(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	at := t.Time
	return &at
}
