package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// bucketStatement is a Statement of a bucket policy: it names its
// Principal, which must be everyone.
type bucketStatement struct {
	Sid       string          `json:"Sid,omitempty"`
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    strOrList       `json:"Action"`
	Resource  strOrList       `json:"Resource"`
}

// ParseBucketPolicy reads the policy of bucket: the same subset as Parse,
// each statement with Principal "*" (or {"AWS": "*"}), granting or denying
// everyone, and every resource inside bucket. The result's Allowed answers
// for any caller, signed or not. Naming particular principals is refused
// rather than ignored, so a policy never grants more than it says.
func ParseBucketPolicy(doc []byte, bucket string) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var raw struct {
		Version   string            `json:"Version,omitempty"`
		ID        string            `json:"Id,omitempty"`
		Statement []bucketStatement `json:"Statement"`
	}
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if dec.More() {
		return nil, errors.New("policy: trailing data after the document")
	}
	p := &Policy{Version: raw.Version}
	for i, st := range raw.Statement {
		if !everyone(st.Principal) {
			return nil, fmt.Errorf(`policy: Statement[%d]: Principal must be "*" (everyone); naming principals is not supported`, i)
		}
		for _, r := range st.Resource {
			if r != ARNPrefix+bucket && !strings.HasPrefix(r, ARNPrefix+bucket+"/") {
				return nil, fmt.Errorf("policy: Statement[%d]: Resource %q is outside bucket %s", i, r, bucket)
			}
		}
		p.Statement = append(p.Statement, Statement{Effect: st.Effect, Action: st.Action, Resource: st.Resource})
	}
	// Parse checks what is left: effects, actions, non-empty lists.
	canonical, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return Parse(canonical)
}

// everyone reports whether a Principal is "*" or {"AWS": "*"|["*"]}.
func everyone(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]strOrList
	if json.Unmarshal(raw, &m) != nil || len(m) != 1 {
		return false
	}
	aws, ok := m["AWS"]
	return ok && len(aws) == 1 && aws[0] == "*"
}

// BucketPolicies is s3api's BucketPolicies over ParseBucketPolicy.
type BucketPolicies struct{}

// Validate parses doc as bucket's policy.
func (BucketPolicies) Validate(doc []byte, bucket string) error {
	_, err := ParseBucketPolicy(doc, bucket)
	return err
}

// Allows reports whether doc grants everyone action on resource; a
// document that no longer parses grants nothing.
func (BucketPolicies) Allows(doc []byte, bucket, action, resource string) bool {
	p, err := ParseBucketPolicy(doc, bucket)
	return err == nil && p.Allowed(action, resource)
}
