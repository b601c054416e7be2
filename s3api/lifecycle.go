package s3api

import (
	"encoding/xml"
	"net/http"
	"time"
)

// maxLifecycleRules is S3's limit on rules in one configuration.
const maxLifecycleRules = 1000

// lifecycleConfiguration is the document of the lifecycle calls. Only the
// actions sixfold applies are modelled; a rule with a transition (there are
// no storage classes here) is refused.
type lifecycleConfiguration struct {
	XMLName xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration"`
	Rules   []lifecycleRule `xml:"Rule"`
}

type lifecycleRule struct {
	ID         string           `xml:"ID,omitempty"`
	Prefix     *string          `xml:"Prefix"` // the filter's older form
	Filter     *lifecycleFilter `xml:"Filter"`
	Status     string           `xml:"Status"`
	Expiration *struct {
		Days                      int    `xml:"Days,omitempty"`
		Date                      string `xml:"Date,omitempty"`
		ExpiredObjectDeleteMarker bool   `xml:"ExpiredObjectDeleteMarker,omitempty"`
	} `xml:"Expiration"`
	NoncurrentVersionExpiration *struct {
		NoncurrentDays int `xml:"NoncurrentDays"`
	} `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *struct {
		DaysAfterInitiation int `xml:"DaysAfterInitiation"`
	} `xml:"AbortIncompleteMultipartUpload"`
	Transitions []struct{} `xml:"Transition"`
	// NoncurrentVersionTransitions are refused with Transitions.
	NoncurrentVersionTransitions []struct{} `xml:"NoncurrentVersionTransition"`
}

type lifecycleFilter struct {
	Prefix *string `xml:"Prefix"`
	Tag    *tag    `xml:"Tag"`
	And    *struct {
		Prefix string `xml:"Prefix"`
		Tags   []tag  `xml:"Tag"`
	} `xml:"And"`
}

// getBucketLifecycle answers GET /b?lifecycle.
func (h *handler) getBucketLifecycle(q *request) (*response, error) {
	b, err := h.backend.HeadBucket(q.r.Context(), q.target.bucket)
	if err != nil {
		return nil, err
	}
	if b.Lifecycle == nil {
		return nil, s3Error(codeNoSuchLifecycle)
	}
	doc := lifecycleConfiguration{}
	for _, r := range b.Lifecycle {
		doc.Rules = append(doc.Rules, renderRule(r))
	}
	return xmlResponse(doc), nil
}

// putBucketLifecycle answers PUT /b?lifecycle.
func (h *handler) putBucketLifecycle(q *request) (*response, error) {
	var doc struct {
		Rules []lifecycleRule `xml:"Rule"`
	} // any namespace
	if err := readXML(q.openBody, maxRequestXML, &doc); err != nil {
		return nil, err
	}
	if len(doc.Rules) == 0 || len(doc.Rules) > maxLifecycleRules {
		return nil, s3Error(codeMalformedXML)
	}
	rules := make([]LifecycleRule, 0, len(doc.Rules))
	for _, r := range doc.Rules {
		rule, err := parseRule(r)
		if err != nil {
			return nil, err
		}
		rules = append(rules, rule)
	}
	if err := h.backend.PutBucketLifecycle(q.r.Context(), q.target.bucket, rules); err != nil {
		return nil, err
	}
	return newResponse(http.StatusOK), nil
}

// deleteBucketLifecycle answers DELETE /b?lifecycle.
func (h *handler) deleteBucketLifecycle(q *request) (*response, error) {
	if err := h.backend.PutBucketLifecycle(q.r.Context(), q.target.bucket, nil); err != nil {
		return nil, err
	}
	return newResponse(http.StatusNoContent), nil
}

// parseRule checks one rule: a status, at least one action, positive day
// counts, a date at midnight UTC, and no transitions.
func parseRule(r lifecycleRule) (LifecycleRule, error) {
	bad := func(msg string) (LifecycleRule, error) {
		return LifecycleRule{}, errorf(codeInvalidArgument, "%s", msg)
	}
	if len(r.Transitions) > 0 || len(r.NoncurrentVersionTransitions) > 0 {
		return LifecycleRule{}, errorf(codeNotImplemented, "Transitions are not implemented: sixfold has one storage class")
	}
	if r.Status != "Enabled" && r.Status != "Disabled" {
		return s3MalformedRule()
	}
	rule := LifecycleRule{ID: r.ID, Enabled: r.Status == "Enabled"}
	if err := applyFilter(&rule, r); err != nil {
		return LifecycleRule{}, err
	}
	if e := r.Expiration; e != nil {
		rule.ExpirationDays, rule.ExpiredObjectDeleteMarker = e.Days, e.ExpiredObjectDeleteMarker
		if e.Date != "" {
			d, err := time.Parse(time.RFC3339, e.Date)
			if err != nil || !d.Equal(d.Truncate(24*time.Hour)) {
				return bad("'Date' must be at midnight GMT")
			}
			rule.ExpirationDate = d.UTC()
		}
		if e.Days < 0 || e.Days == 0 && e.Date == "" && !e.ExpiredObjectDeleteMarker {
			return bad("'Days' for Expiration action must be a positive integer")
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays < 1 {
			return bad("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		rule.NoncurrentDays = n.NoncurrentDays
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation < 1 {
			return bad("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
		rule.AbortUploadDays = a.DaysAfterInitiation
	}
	if r.Expiration == nil && r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil {
		return s3MalformedRule()
	}
	return rule, nil
}

func s3MalformedRule() (LifecycleRule, error) {
	return LifecycleRule{}, s3Error(codeMalformedXML)
}

// applyFilter reads the rule's prefix and tags from Filter (or the older
// top-level Prefix).
func applyFilter(rule *LifecycleRule, r lifecycleRule) error {
	if r.Prefix != nil {
		rule.Prefix = *r.Prefix
	}
	f := r.Filter
	if f == nil {
		return nil
	}
	if f.Prefix != nil {
		rule.Prefix = *f.Prefix
	}
	var tags []tag
	if f.Tag != nil {
		tags = append(tags, *f.Tag)
	}
	if f.And != nil {
		rule.Prefix, tags = f.And.Prefix, append(tags, f.And.Tags...)
	}
	for _, t := range tags {
		if rule.Tags == nil {
			rule.Tags = map[string]string{}
		}
		if err := checkTag(rule.Tags, t.Key, t.Value); err != nil {
			return err
		}
		rule.Tags[t.Key] = t.Value
	}
	return checkListStrings(rule.Prefix)
}

// renderRule is a stored rule as GetBucketLifecycleConfiguration shows it.
func renderRule(r LifecycleRule) lifecycleRule {
	out := lifecycleRule{ID: r.ID, Status: "Disabled", Filter: &lifecycleFilter{}}
	if r.Enabled {
		out.Status = "Enabled"
	}
	prefix := r.Prefix
	switch tags := taggingDoc(r.Tags).TagSet; {
	case len(tags) == 0:
		out.Filter.Prefix = &prefix
	case len(tags) == 1 && prefix == "":
		out.Filter.Tag = &tags[0]
	default:
		out.Filter.And = &struct {
			Prefix string `xml:"Prefix"`
			Tags   []tag  `xml:"Tag"`
		}{prefix, tags}
	}
	if r.ExpirationDays > 0 || !r.ExpirationDate.IsZero() || r.ExpiredObjectDeleteMarker {
		out.Expiration = &struct {
			Days                      int    `xml:"Days,omitempty"`
			Date                      string `xml:"Date,omitempty"`
			ExpiredObjectDeleteMarker bool   `xml:"ExpiredObjectDeleteMarker,omitempty"`
		}{Days: r.ExpirationDays, ExpiredObjectDeleteMarker: r.ExpiredObjectDeleteMarker}
		if !r.ExpirationDate.IsZero() {
			out.Expiration.Date = r.ExpirationDate.Format("2006-01-02T15:04:05.000Z")
		}
	}
	if r.NoncurrentDays > 0 {
		out.NoncurrentVersionExpiration = &struct {
			NoncurrentDays int `xml:"NoncurrentDays"`
		}{r.NoncurrentDays}
	}
	if r.AbortUploadDays > 0 {
		out.AbortIncompleteMultipartUpload = &struct {
			DaysAfterInitiation int `xml:"DaysAfterInitiation"`
		}{r.AbortUploadDays}
	}
	return out
}
