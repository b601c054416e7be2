package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"sixfold/gateway/admin"
)

const adminUsage = `usage:
  gateway admin cluster [flags]
      every storage node (status, heartbeat age, capacity, shards, ring
      share), what the cluster stores, and the healer's progress
  gateway admin maintenance [flags] <node-id|name|address> on|off
      on: the node takes no new shards but keeps serving reads;
      off: it takes shards again (once its heartbeat is fresh)
  gateway admin drain [flags] <node-id|name|address>
      the node takes no new shards and keeps serving reads while the
      healer moves every shard it holds to other nodes, then marks it
      removed; follow it with "gateway admin cluster"
  gateway admin activate [flags] <node-id|name|address>
      ends maintenance or a drain, or brings a removed node back: it
      takes shards again (once its heartbeat is fresh)
  gateway admin verify [flags]
      asks the nodes for every shard metadata records as stored and lists
      the ones they no longer have (after a database restore: what it
      references that gc.retention did not keep), and the objects left
      unreadable; exits 1 when any is missing. One small read per shard

  gateway admin user create <name> [policy]
      a user acting under policy: readwrite, readonly, writeonly, admin,
      @file.json (an IAM policy document), or none (the default: it may
      do nothing until a policy is set)
  gateway admin user list | show <name> | delete <name>
  gateway admin user policy <name> <policy>
  gateway admin user disable|enable <name>
      disabling stops every key of the user on every gateway at once
  gateway admin key create <user>
      a new access key and secret for user; the secret is shown this once
  gateway admin key list [user]
  gateway admin key disable|enable|rotate|delete <access-key>
      rotate gives the key a new secret (shown once); the old one stops
      working at once

  gateway admin search [flags] ['QUERY']
      finds /files uploads (or, with -bucket, an S3 bucket's objects) by
      what they are, e.g. 'metadata.owner = "ann" AND size > 1GiB';
      flags -bucket, -sort, -order, -limit, -all, -total, -json;
      the language is in docs/search.md

flags (anywhere after the subcommand):
`

// errUsage marks a command line runAdmin cannot act on (exit status 2).
var errUsage = errors.New("usage")

// runAdmin is "gateway admin ...": a client of a gateway's /admin API. It
// returns the process exit status: 0 done, 1 the request failed, 2 bad
// usage.
func runAdmin(args []string, stdout, stderr io.Writer) int {
	err := adminCommand(context.Background(), args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "gateway admin:", err)
		return 2
	}
	fmt.Fprintln(stderr, "gateway admin:", err)
	return 1
}

// adminCommand parses args and runs the subcommand they name.
func adminCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, client, timeout := adminFlags(stderr)
	if len(args) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: name a subcommand: cluster, maintenance, drain, activate, verify, user, key or search", errUsage)
	}
	sub := args[0]
	var so *searchOpts
	if sub == "search" {
		so = searchFlags(fs)
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	switch sub {
	case "cluster":
		if len(pos) != 0 {
			return fmt.Errorf("%w: cluster takes no arguments, got %q", errUsage, pos)
		}
		return showCluster(ctx, client, stdout)
	case "maintenance":
		return maintenance(ctx, client, pos, stdout)
	case "drain":
		return setNodeStatus(ctx, client, sub, pos, admin.StatusDraining, stdout)
	case "activate":
		return setNodeStatus(ctx, client, sub, pos, admin.StatusActive, stdout)
	case "verify":
		if len(pos) != 0 {
			return fmt.Errorf("%w: verify takes no arguments, got %q", errUsage, pos)
		}
		return verifyStored(ctx, client, stdout)
	case "user":
		return userCommand(ctx, client, pos, stdout)
	case "key":
		return keyCommand(ctx, client, pos, stdout)
	case "search":
		return runSearch(ctx, client, so, pos, stdout)
	case "help", "-h", "-help", "--help":
		fs.Usage()
		return flag.ErrHelp
	}
	fs.Usage()
	return fmt.Errorf("%w: unknown subcommand %q", errUsage, sub)
}

// adminFlags declares the flags every subcommand takes. Credentials
// default to the gateway's own root key variables.
func adminFlags(stderr io.Writer) (*flag.FlagSet, *adminClient, *time.Duration) {
	fs := flag.NewFlagSet("gateway admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, adminUsage)
		fs.PrintDefaults()
	}
	c := &adminClient{http: &http.Client{}}
	fs.StringVar(&c.base, "url", envOr("SIXFOLD_URL", "http://127.0.0.1:8080"), "gateway base URL (env SIXFOLD_URL)")
	fs.StringVar(&c.user, "user", os.Getenv("SIXFOLD_ROOT_USER"), "access key (env SIXFOLD_ROOT_USER)")
	c.password = os.Getenv("SIXFOLD_ROOT_PASSWORD")
	fs.Var(secretFlag{&c.password}, "password", "secret (env SIXFOLD_ROOT_PASSWORD)")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on the whole command")
	fs.BoolVar(&c.jsonOut, "json", false, "user, key and search commands: print the gateway's JSON answer")
	return fs, c, timeout
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// parseInterleaved parses flags wherever they stand among args and returns
// the other arguments in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// showCluster prints GET /admin/cluster as a table and a summary.
func showCluster(ctx context.Context, c *adminClient, w io.Writer) error {
	view, err := c.cluster(ctx)
	if err != nil {
		return err
	}
	return printCluster(w, view)
}

// printCluster writes one row per node, then the totals and the healer's
// progress.
func printCluster(w io.Writer, view admin.Cluster) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tID\tADDRESS\tSTATUS\tHEARTBEAT\tCAPACITY\tAVAILABLE\tCHUNKS\tRECORDED\tRING")
	for _, n := range view.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s ago\t%s\t%s\t%d\t%d\t%.1f%%\n",
			n.Name, n.ID, n.Address, n.Status, age(n.HeartbeatAgeSeconds),
			humanBytes(n.CapacityBytes), humanBytes(n.AvailableBytes),
			n.ChunkCount, n.ChunksRecorded, 100*n.RingShare)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t, h := view.Totals, view.Heal
	last := "never"
	if h.LastHealedAt != nil {
		last = h.LastHealedAt.UTC().Format(time.RFC3339)
	}
	_, err := fmt.Fprintf(w, "\nnodes:    %d (%d active, %d maintenance, %d draining, %d removed, %d inactive; %d on the placement ring)\n"+
		"stored:   %s in all: %d files (%s), %d S3 objects in %d buckets (%s); counted %s\n"+
		"capacity: %s, %s available\n"+
		"healing:  %d shards pending; %d healed (%s), %d failed attempts, last healed %s\n",
		t.Nodes, t.ActiveNodes, t.MaintenanceNodes, t.DrainingNodes, t.RemovedNodes, t.InactiveNodes, t.RingNodes,
		humanBytes(t.BytesStored), t.Files, humanBytes(t.FilesBytes), t.S3Objects, t.S3Buckets, humanBytes(t.S3Bytes),
		view.StatsAsOf.UTC().Format(time.RFC3339),
		humanBytes(t.CapacityBytes), humanBytes(t.AvailableBytes),
		h.ShardsPending, h.ShardsHealed, humanBytes(h.BytesHealed), h.Failures, last)
	return err
}

// maintenance runs "maintenance <node> on|off".
func maintenance(ctx context.Context, c *adminClient, args []string, w io.Writer) error {
	if len(args) != 2 || (args[1] != "on" && args[1] != "off") {
		return fmt.Errorf("%w: maintenance <node-id|name|address> on|off", errUsage)
	}
	status := admin.StatusActive
	if args[1] == "on" {
		status = admin.StatusMaintenance
	}
	return setNodeStatus(ctx, c, "maintenance", args[:1], status, w)
}

// setNodeStatus runs "<sub> <node>": it finds the node by id, name or
// address in the cluster view, sets its status and says what follows.
func setNodeStatus(ctx context.Context, c *adminClient, sub string, args []string, status admin.Status, w io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: %s <node-id|name|address>", errUsage, sub)
	}
	view, err := c.cluster(ctx)
	if err != nil {
		return err
	}
	node, err := findNode(view.Nodes, args[0])
	if err != nil {
		return err
	}
	st, err := c.setStatus(ctx, node.ID.String(), status)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s (%s, %s) is now %s%s\n", st.Name, st.Address, st.ID, st.Status, aftermath(status, st.Status, node))
	return err
}

// aftermath says what happens next when the status asked for is not the
// end of the story.
func aftermath(asked, got admin.Status, before admin.Node) string {
	switch {
	case got == admin.StatusDraining:
		return fmt.Sprintf(": the healer moves its %d shards to other nodes, then marks it removed"+
			" (follow it with: gateway admin cluster)", before.ChunksRecorded)
	case asked == admin.StatusActive && got == admin.StatusInactive:
		return ": its heartbeat is stale; it becomes active with its next one"
	}
	return ""
}

// findNode returns the one node whose id, name or address is ref.
func findNode(nodes []admin.Node, ref string) (admin.Node, error) {
	var found []admin.Node
	for _, n := range nodes {
		if n.ID.String() == strings.ToLower(ref) || n.Name == ref || n.Address == ref {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return admin.Node{}, fmt.Errorf("no storage node has the id, name or address %q (see: gateway admin cluster)", ref)
	}
	ids := make([]string, len(found))
	for i, n := range found {
		ids[i] = n.ID.String() + " (" + n.Address + ")"
	}
	return admin.Node{}, fmt.Errorf("%q names %d nodes: %s; give an id", ref, len(found), strings.Join(ids, ", "))
}

// age renders a heartbeat age in whole seconds.
func age(seconds float64) string {
	return (time.Duration(seconds * float64(time.Second))).Round(time.Second).String()
}

// humanBytes renders n in binary units with one decimal (1.5 GiB).
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// adminClient calls a gateway's /admin API with HTTP Basic credentials.
type adminClient struct {
	base, user, password string
	http                 *http.Client
	jsonOut              bool
}

func (c *adminClient) cluster(ctx context.Context) (admin.Cluster, error) {
	var view admin.Cluster
	err := c.do(ctx, http.MethodGet, "/admin/cluster", nil, &view)
	return view, err
}

func (c *adminClient) setStatus(ctx context.Context, id string, status admin.Status) (admin.NodeStatus, error) {
	var st admin.NodeStatus
	err := c.do(ctx, http.MethodPut, "/admin/nodes/"+id+"/status", map[string]admin.Status{"status": status}, &st)
	return st, err
}

// do sends body (if any) as JSON and decodes a 200 answer into out; any
// other status becomes an error carrying the gateway's error message.
func (c *adminClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.user, c.password)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return responseError(method, path, resp)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// responseError describes a failed answer by its status and the gateway's
// {"error": {"code", "message"}} body when there is one.
func responseError(method, path string, resp *http.Response) error {
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &body) == nil && body.Error.Message != "" {
		msg = body.Error.Code + ": " + body.Error.Message
	}
	if resp.StatusCode == http.StatusUnauthorized {
		msg += " (set -user/-password or SIXFOLD_ROOT_USER/SIXFOLD_ROOT_PASSWORD)"
	}
	return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, msg)
}
