package iam

import "testing"

const bucketPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::team/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::team"},
    {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::team/secret/*"}
  ]
}`

func TestAllowed(t *testing.T) {
	custom, err := Parse([]byte(bucketPolicy))
	if err != nil {
		t.Fatal(err)
	}
	rw, _ := Builtin("readwrite")
	ro, _ := Builtin("readonly")
	wo, _ := Builtin("writeonly")
	admin, _ := Builtin("admin")
	obj, bucket := ARNPrefix+"b/k", ARNPrefix+"b"
	cases := []struct {
		name     string
		p        *Policy
		action   string
		resource string
		want     bool
	}{
		{"nil allows nothing", nil, "s3:GetObject", obj, false},
		{"readwrite get", rw, "s3:GetObject", obj, true},
		{"readwrite delete", rw, "s3:DeleteObject", obj, true},
		{"readwrite create bucket", rw, "s3:CreateBucket", bucket, true},
		{"readwrite not admin", rw, AdminAction, "*", false},
		{"readonly get", ro, "s3:GetObject", obj, true},
		{"readonly list", ro, "s3:ListBucket", bucket, true},
		{"readonly buckets", ro, "s3:ListAllMyBuckets", ARNPrefix + "*", true},
		{"readonly put", ro, "s3:PutObject", obj, false},
		{"readonly delete", ro, "s3:DeleteObject", obj, false},
		{"writeonly put", wo, "s3:PutObject", obj, true},
		{"writeonly get", wo, "s3:GetObject", obj, false},
		{"writeonly delete", wo, "s3:DeleteObject", obj, false},
		{"admin anything", admin, AdminAction, "*", true},
		{"admin s3", admin, "s3:DeleteBucket", bucket, true},
		{"custom get in prefix", custom, "s3:GetObject", ARNPrefix + "team/a/b", true},
		{"custom action case-insensitive", custom, "S3:getobject", ARNPrefix + "team/a", true},
		{"custom other bucket", custom, "s3:GetObject", ARNPrefix + "other/a", false},
		{"custom bucket prefix is not a bucket", custom, "s3:GetObject", ARNPrefix + "teamx/a", false},
		{"custom list", custom, "s3:ListBucket", ARNPrefix + "team", true},
		{"custom list needs bucket arn", custom, "s3:ListBucket", ARNPrefix + "team/x", false},
		{"custom delete not granted", custom, "s3:DeleteObject", ARNPrefix + "team/a", false},
		{"explicit deny wins", custom, "s3:GetObject", ARNPrefix + "team/secret/x", false},
	}
	for _, c := range cases {
		if got := c.p.Allowed(c.action, c.resource); got != c.want {
			t.Errorf("%s: Allowed(%q, %q) = %v, want %v", c.name, c.action, c.resource, got, c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":      `{`,
		"no statement":  `{"Statement": []}`,
		"bad effect":    `{"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}`,
		"no action":     `{"Statement": [{"Effect": "Allow", "Resource": "*"}]}`,
		"no resource":   `{"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}`,
		"other service": `{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}`,
		"non-s3 arn":    `{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:iam:::x"}]}`,
		"condition":     `{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {}}]}`,
		"action number": `{"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted %s", name, doc)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"a*c", "abxc", true}, {"a?c", "abc", true},
		{"a?c", "ac", false}, {"abc", "abcd", false}, {"*x", "abc", false}, {"a**b", "ab", true},
	} {
		if got := match(c.p, c.s); got != c.want {
			t.Errorf("match(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestBucketPolicy(t *testing.T) {
	doc := `{"Version": "2012-10-17", "Statement": [
	  {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::pub/*"]},
	  {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::pub"},
	  {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pub/private/*"}]}`
	p, err := ParseBucketPolicy([]byte(doc), "pub")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		action, resource string
		want             bool
	}{
		{"s3:GetObject", ARNPrefix + "pub/a.txt", true},
		{"s3:ListBucket", ARNPrefix + "pub", true},
		{"s3:GetObject", ARNPrefix + "pub/private/x", false},
		{"s3:PutObject", ARNPrefix + "pub/a.txt", false},
		{"s3:GetObject", ARNPrefix + "other/a.txt", false},
	} {
		if got := p.Allowed(c.action, c.resource); got != c.want {
			t.Errorf("Allowed(%s, %s) = %v", c.action, c.resource, got)
		}
	}
	for name, bad := range map[string]string{
		"no principal":       `{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pub/*"}]}`,
		"named principal":    `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:user/x"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pub/*"}]}`,
		"other bucket":       `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}`,
		"bucket name prefix": `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pubx/*"}]}`,
		"wildcard resource":  `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}`,
		"condition":          `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pub/*", "Condition": {}}]}`,
		"empty":              `{"Statement": []}`,
		"bad effect":         `{"Statement": [{"Effect": "Permit", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pub/*"}]}`,
	} {
		if _, err := ParseBucketPolicy([]byte(bad), "pub"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestResourcesDecideAsAllowed checks the property searches rely on: for
// every policy, action and resource, "some allow pattern matches and no
// deny pattern does" is exactly Allowed.
func TestResourcesDecideAsAllowed(t *testing.T) {
	custom, err := Parse([]byte(bucketPolicy))
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]*Policy{"custom": custom, "nil": nil}
	for _, name := range []string{"readwrite", "readonly", "writeonly", "admin"} {
		policies[name], _ = Builtin(name)
	}
	resources := []string{ARNPrefix + "team", ARNPrefix + "team/a", ARNPrefix + "team/secret/x", ARNPrefix + "other/k", "*", ARNPrefix + "files/1"}
	for name, p := range policies {
		for _, action := range []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:DeleteObject", AdminAction} {
			allow, deny := p.Resources(action)
			for _, r := range resources {
				got := matchAny(allow, r, match) && !matchAny(deny, r, match)
				if want := p.Allowed(action, r); got != want {
					t.Errorf("%s %s %s: patterns say %v; Allowed says %v", name, action, r, got, want)
				}
			}
		}
	}
}
