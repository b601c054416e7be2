package iam

import "fmt"

// Built-in policies, named as MinIO names them so operators recognise them.
var builtins = map[string]*Policy{
	"readwrite": {Statement: []Statement{{Effect: Allow, Action: strOrList{"s3:*"}, Resource: strOrList{ARNPrefix + "*"}}}},
	"readonly": {Statement: []Statement{{Effect: Allow,
		Action:   strOrList{"s3:GetObject*", "s3:ListBucket*", "s3:ListAllMyBuckets", "s3:GetBucket*", "s3:HeadBucket"},
		Resource: strOrList{ARNPrefix + "*"}}}},
	"writeonly": {Statement: []Statement{{Effect: Allow,
		Action:   strOrList{"s3:PutObject*", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"},
		Resource: strOrList{ARNPrefix + "*"}}}},
	"admin": {Statement: []Statement{{Effect: Allow, Action: strOrList{"*"}, Resource: strOrList{"*"}}}},
}

// Builtin returns the built-in policy of that name: readwrite, readonly,
// writeonly or admin.
func Builtin(name string) (*Policy, bool) {
	p, ok := builtins[name]
	return p, ok
}

// Resolve turns what a user record holds into a policy: "" is no policy
// (nothing allowed, nil), a built-in's name is that built-in, and anything
// else must be a policy document.
func Resolve(s string) (*Policy, error) {
	if s == "" {
		return nil, nil
	}
	if p, ok := builtins[s]; ok {
		return p, nil
	}
	if s[0] != '{' {
		return nil, fmt.Errorf("policy %q: not one of readwrite, readonly, writeonly, admin, nor a JSON policy document", s)
	}
	return Parse([]byte(s))
}
