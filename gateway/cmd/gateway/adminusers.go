package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"sixfold/gateway/auth"
)

// userCommand runs "user <verb> ...".
func userCommand(ctx context.Context, c *adminClient, args []string, w io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: user create|list|show|policy|disable|enable|delete ...", errUsage)
	}
	verb, args := args[0], args[1:]
	one := func() (string, error) {
		if len(args) != 1 {
			return "", fmt.Errorf("%w: user %s <name>", errUsage, verb)
		}
		return args[0], nil
	}
	switch verb {
	case "create":
		if len(args) < 1 || len(args) > 2 {
			return fmt.Errorf("%w: user create <name> [policy]", errUsage)
		}
		body := map[string]any{"name": args[0]}
		if len(args) == 2 {
			p, err := policyArg(args[1])
			if err != nil {
				return err
			}
			body["policy"] = p
		}
		var u auth.User
		if err := c.do(ctx, http.MethodPost, "/admin/users", body, &u); err != nil {
			return err
		}
		return c.print(w, u, func() error { return printUsers(w, []auth.User{u}) })
	case "list":
		if len(args) != 0 {
			return fmt.Errorf("%w: user list takes no arguments", errUsage)
		}
		var out struct{ Users []auth.User }
		if err := c.do(ctx, http.MethodGet, "/admin/users", nil, &out); err != nil {
			return err
		}
		return c.print(w, out, func() error { return printUsers(w, out.Users) })
	case "show":
		name, err := one()
		if err != nil {
			return err
		}
		var u auth.User
		if err := c.do(ctx, http.MethodGet, "/admin/users/"+url.PathEscape(name), nil, &u); err != nil {
			return err
		}
		return c.print(w, u, func() error {
			if err := printUsers(w, []auth.User{u}); err != nil {
				return err
			}
			fmt.Fprintln(w)
			return printKeys(w, u.Keys)
		})
	case "policy":
		if len(args) != 2 {
			return fmt.Errorf("%w: user policy <name> <readwrite|readonly|writeonly|admin|none|@file.json>", errUsage)
		}
		p, err := policyArg(args[1])
		if err != nil {
			return err
		}
		return c.putUser(ctx, w, args[0], map[string]any{"policy": p})
	case "disable", "enable":
		name, err := one()
		if err != nil {
			return err
		}
		return c.putUser(ctx, w, name, map[string]any{"disabled": verb == "disable"})
	case "delete":
		name, err := one()
		if err != nil {
			return err
		}
		var out map[string]string
		if err := c.do(ctx, http.MethodDelete, "/admin/users/"+url.PathEscape(name), nil, &out); err != nil {
			return err
		}
		return c.print(w, out, func() error { _, err := fmt.Fprintf(w, "user %s and its keys deleted\n", name); return err })
	}
	return fmt.Errorf("%w: unknown user command %q", errUsage, verb)
}

func (c *adminClient) putUser(ctx context.Context, w io.Writer, name string, body map[string]any) error {
	var u auth.User
	if err := c.do(ctx, http.MethodPut, "/admin/users/"+url.PathEscape(name), body, &u); err != nil {
		return err
	}
	return c.print(w, u, func() error { return printUsers(w, []auth.User{u}) })
}

// keyCommand runs "key <verb> ...".
func keyCommand(ctx context.Context, c *adminClient, args []string, w io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: key create|list|disable|enable|rotate|delete ...", errUsage)
	}
	verb, args := args[0], args[1:]
	if verb == "list" {
		if len(args) > 1 {
			return fmt.Errorf("%w: key list [user]", errUsage)
		}
		var out struct{ Users []auth.User }
		if err := c.do(ctx, http.MethodGet, "/admin/users", nil, &out); err != nil {
			return err
		}
		var keys []auth.AccessKey
		for _, u := range out.Users {
			if len(args) == 0 || u.Name == args[0] {
				keys = append(keys, u.Keys...)
			}
		}
		return c.print(w, map[string][]auth.AccessKey{"keys": keys}, func() error { return printKeys(w, keys) })
	}
	if len(args) != 1 {
		return fmt.Errorf("%w: key %s <%s>", errUsage, verb, map[bool]string{true: "user", false: "access-key"}[verb == "create"])
	}
	var k auth.AccessKey
	path := "/admin/keys/" + url.PathEscape(args[0])
	var err error
	switch verb {
	case "create":
		err = c.do(ctx, http.MethodPost, "/admin/users/"+url.PathEscape(args[0])+"/keys", nil, &k)
	case "rotate":
		err = c.do(ctx, http.MethodPost, path+"/rotate", nil, &k)
	case "disable", "enable":
		err = c.do(ctx, http.MethodPut, path, map[string]bool{"disabled": verb == "disable"}, &k)
	case "delete":
		var out map[string]string
		if err := c.do(ctx, http.MethodDelete, path, nil, &out); err != nil {
			return err
		}
		return c.print(w, out, func() error { _, err := fmt.Fprintf(w, "access key %s deleted\n", args[0]); return err })
	default:
		return fmt.Errorf("%w: unknown key command %q", errUsage, verb)
	}
	if err != nil {
		return err
	}
	return c.print(w, k, func() error {
		if k.SecretKey == "" {
			_, err := fmt.Fprintf(w, "access key %s of user %s: disabled=%v\n", k.AccessKey, k.User, k.Disabled)
			return err
		}
		_, err := fmt.Fprintf(w, "user:       %s\naccess key: %s\nsecret key: %s\n"+
			"The secret is shown this once; it cannot be read back. Use it with\n"+
			"  curl -u %s:<secret> ...  or  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=<secret> aws s3 ...\n",
			k.User, k.AccessKey, k.SecretKey, k.AccessKey, k.AccessKey)
		return err
	})
}

// policyArg reads a policy argument: "none" is no policy, @path a policy
// document in a file, anything else a built-in's name (the gateway says
// whether it is one).
func policyArg(s string) (any, error) {
	switch {
	case s == "none":
		return "", nil
	case strings.HasPrefix(s, "@"):
		raw, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, err
		}
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%s: not JSON", s[1:])
		}
		return json.RawMessage(raw), nil
	}
	return s, nil
}

// print writes v as indented JSON under -json, or runs text otherwise.
func (c *adminClient) print(w io.Writer, v any, text func() error) error {
	if c.jsonOut {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return text()
}

func printUsers(w io.Writer, users []auth.User) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tPOLICY\tSTATUS\tKEYS\tCREATED")
	for _, u := range users {
		policy := u.Policy
		switch {
		case policy == "":
			policy = "none"
		case policy[0] == '{':
			policy = "(document)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", u.Name, policy, enabled(u.Disabled), len(u.Keys), u.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func printKeys(w io.Writer, keys []auth.AccessKey) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCESS KEY\tUSER\tSTATUS\tCREATED\tROTATED")
	for _, k := range keys {
		rotated := "-"
		if k.RotatedAt != nil {
			rotated = k.RotatedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.AccessKey, k.User, enabled(k.Disabled), k.CreatedAt.UTC().Format(time.RFC3339), rotated)
	}
	return tw.Flush()
}

func enabled(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}
