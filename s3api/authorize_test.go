package s3api

import (
	"net/http/httptest"
	"testing"
)

// Every routed operation names its IAM action: one without would be denied
// to everyone, admins included.
func TestRoutesHaveActions(t *testing.T) {
	for _, rt := range routes {
		if opActions[rt.op] == "" {
			t.Errorf("operation %s has no IAM action in opActions", rt.op)
		}
	}
}

func TestAuthorizeCopyNeedsSourceRead(t *testing.T) {
	var asked []string
	h := &handler{authorizeFn: func(ak, action, resource string) bool {
		asked = append(asked, action+" "+resource)
		return resource != "arn:aws:s3:::secret/k"
	}}
	r := httptest.NewRequest("PUT", "/dst/k", nil)
	r.Header.Set("X-Amz-Copy-Source", "/secret/k")
	q := &request{r: r, target: target{bucket: "dst", key: "k"}}
	err := h.authorize(q, authenticated{accessKey: "ak"}, "CopyObject")
	if e, ok := err.(*apiError); !ok || e.Code != codeAccessDenied {
		t.Fatalf("copy from an unreadable source: %v, want AccessDenied (asked %q)", err, asked)
	}
	if len(asked) != 2 || asked[0] != "s3:PutObject arn:aws:s3:::dst/k" || asked[1] != "s3:GetObject arn:aws:s3:::secret/k" {
		t.Errorf("asked %q", asked)
	}
	if err := h.authorize(q, authenticated{}, "NoSuchOp"); err == nil {
		t.Error("an operation without an action was allowed")
	}
}
