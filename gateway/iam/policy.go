// Package iam decides who may do what: IAM-style policies (a JSON subset of
// AWS's) evaluated against an action and a resource ARN. It is pure: where
// policies come from (configuration, PostgreSQL) is the caller's business.
package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Effect of a statement.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// ARNPrefix starts every S3 resource: arn:aws:s3:::bucket or
// arn:aws:s3:::bucket/key.
const ARNPrefix = "arn:aws:s3:::"

// AdminAction guards /admin and maintenance; only "*" or "admin:*" match it,
// never "s3:*", so a storage policy cannot reach the cluster's controls.
const AdminAction = "admin:*"

// Statement is one rule. Action and Resource accept a string or a list, as
// AWS's grammar does.
type Statement struct {
	Effect   string    `json:"Effect"`
	Action   strOrList `json:"Action"`
	Resource strOrList `json:"Resource"`
}

// Policy is a set of statements; explicit Deny wins over any Allow, and
// what no statement allows is denied.
type Policy struct {
	Version   string      `json:"Version,omitempty"`
	Statement []Statement `json:"Statement"`
}

type strOrList []string

func (s *strOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = strOrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*s = many
	return nil
}

// Parse reads and validates a policy document. It refuses what it would
// otherwise silently ignore (Principal, Condition, NotAction, unknown
// effects, resources outside S3), so a policy never means less than it
// says.
func Parse(doc []byte) (*Policy, error) {
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if len(p.Statement) == 0 {
		return nil, errors.New("policy: no Statement")
	}
	for i, st := range p.Statement {
		if st.Effect != Allow && st.Effect != Deny {
			return nil, fmt.Errorf("policy: Statement[%d]: Effect %q, want Allow or Deny", i, st.Effect)
		}
		if len(st.Action) == 0 || len(st.Resource) == 0 {
			return nil, fmt.Errorf("policy: Statement[%d]: Action and Resource are required", i)
		}
		for _, a := range st.Action {
			if a != "*" && !strings.HasPrefix(a, "s3:") && !strings.HasPrefix(a, "admin:") && !strings.HasPrefix(a, "files:") {
				return nil, fmt.Errorf("policy: Statement[%d]: Action %q: want s3:…, files:… or admin:…", i, a)
			}
		}
		for _, r := range st.Resource {
			if r != "*" && !strings.HasPrefix(r, ARNPrefix) {
				return nil, fmt.Errorf("policy: Statement[%d]: Resource %q: want * or %s…", i, r, ARNPrefix)
			}
		}
	}
	return &p, nil
}

// Allowed reports whether the policy lets action act on resource: some
// Allow statement matches and no Deny statement does. A nil policy allows
// nothing.
func (p *Policy) Allowed(action, resource string) bool {
	if p == nil {
		return false
	}
	allowed := false
	for _, st := range p.Statement {
		if !matchAny(st.Action, action, matchAction) || !matchAny(st.Resource, resource, match) {
			continue
		}
		if st.Effect == Deny {
			return false
		}
		allowed = true
	}
	return allowed
}

// Resources lists the resource patterns of the statements that apply to
// action, split by effect, so that a caller can turn "what may this key
// act on" into a query: resource r is allowed exactly when some pattern
// in allow matches it and none in deny does (as Allowed decides).
func (p *Policy) Resources(action string) (allow, deny []string) {
	if p == nil {
		return nil, nil
	}
	for _, st := range p.Statement {
		if !matchAny(st.Action, action, matchAction) {
			continue
		}
		if st.Effect == Deny {
			deny = append(deny, st.Resource...)
		} else {
			allow = append(allow, st.Resource...)
		}
	}
	return allow, deny
}

func matchAny(patterns []string, s string, m func(pattern, s string) bool) bool {
	for _, p := range patterns {
		if m(p, s) {
			return true
		}
	}
	return false
}

// matchAction is match, case-insensitive as AWS's action names are.
func matchAction(pattern, action string) bool {
	return match(strings.ToLower(pattern), strings.ToLower(action))
}

// match is AWS's wildcard match: * any run of characters, ? one.
func match(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if match(pattern, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}
