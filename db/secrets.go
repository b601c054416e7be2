package db

import (
	"fmt"
	"go.yaml.in/yaml/v3"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Secrets names the settings of c that hold a password: database.password,
// and database.url when the URL (postgres://user:secret@host/db) or
// key/value string (password=secret) carries one. Config loaders use it to
// refuse world-readable files that hold secrets.
func (c Config) Secrets() []string {
	var keys []string
	if c.Password != "" {
		keys = append(keys, "database.password")
	}
	if urlHasPassword(c.URL) {
		keys = append(keys, "database.url")
	}
	return keys
}

func urlHasPassword(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return true // unreadable; assume the worst
		}
		_, hasUserinfoPassword := u.User.Password()
		return hasUserinfoPassword || u.Query().Has("password")
	}
	return keyValueSecret.MatchString(dsn)
}

// redactedError is err with a password cut out of its message; it still
// unwraps to err for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactDSN removes dsn's password from err's message. Errors of
// libraries that parse the DSN themselves (golang-migrate quotes the URL
// it cannot parse) would otherwise carry it into the log.
func redactDSN(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, secret := range dsnPasswords(dsn) {
		msg = strings.ReplaceAll(msg, secret, "xxxxx")
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// dsnPasswords are the forms dsn's password can take in a message: as
// written in the DSN and, for a URL, decoded.
func dsnPasswords(dsn string) []string {
	if m := keyValueSecret.FindStringSubmatch(dsn); m != nil {
		return []string{strings.Trim(m[2], "'")}
	}
	_, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return nil
	}
	var out []string
	if u, err := url.Parse(dsn); err == nil && u.Query().Get("password") != "" {
		out = append(out, u.Query().Get("password"))
	}
	// By hand rather than url.Parse: the DSN may be one it cannot parse.
	authority, _, _ := strings.Cut(rest, "?")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return out
	}
	_, raw, ok := strings.Cut(authority[:at], ":")
	if !ok || raw == "" {
		return out
	}
	out = append(out, raw)
	if decoded, err := url.PathUnescape(raw); err == nil && decoded != raw {
		out = append(out, decoded)
	}
	return out
}

// keyValueSecret captures the value of password= in a key/value string.
var keyValueSecret = regexp.MustCompile(`(^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// withSSLMode adds sslmode to dsn (a URL or key/value string) unless it is
// empty or dsn already names one: the URL's own setting wins.
func withSSLMode(dsn, sslmode string) string {
	if sslmode == "" || strings.Contains(dsn, "sslmode=") {
		return dsn
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " sslmode=" + sslmode
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&sslmode=" + url.QueryEscape(sslmode)
	}
	return dsn + "?sslmode=" + url.QueryEscape(sslmode)
}

// RefuseExposedSecrets fails when the config file at path holds secrets
// (their keys in secrets) and every user of the machine can read it. Group
// read is allowed, for a service group that owns the file. Both binaries'
// config loaders call it.
func RefuseExposedSecrets(path string, secrets []string) error {
	if len(secrets) == 0 {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	if mode := fi.Mode().Perm(); mode&0o004 != 0 {
		return fmt.Errorf("config file %s holds secrets (%s) but every user can read it (mode %04o): "+
			"run chmod 600 %s, or pass the secrets in the environment instead",
			path, strings.Join(secrets, ", "), mode, path)
	}
	return nil
}

// yamlValue is a value quoted in a YAML decoding error.
var yamlValue = regexp.MustCompile("`[^`]*`")

// RedactYAML keeps values out of a YAML decoding error of a config file: a
// secret put under the wrong key ("keys: ak:sk") would otherwise be quoted
// in the message. The line number still says where the problem is.
func RedactYAML(err error) string {
	return yamlValue.ReplaceAllString(err.Error(), "(value hidden)")
}

// YAMLKeys returns the dotted paths of every mapping key in a YAML
// document ("storage.max_retries"), for the config loaders of both binaries, or nil when it does not parse (the
// strict decode has already said why).
func YAMLKeys(raw []byte) map[string]bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	keys := map[string]bool{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := prefix + n.Content[i].Value
			keys[k] = true
			walk(n.Content[i+1], k+".")
		}
	}
	walk(doc.Content[0], "")
	return keys
}
